"""An index of the places by level: every load lists the counties, and a national registry holds 130,000 places.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_place_level", "place", ["level", "code"])


def downgrade() -> None:
    op.drop_index("ix_place_level", "place")
