"""Any city: the county boundaries of a city whose map is not shipped, stored with `shequ init --boundaries`.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "city_boundary",
        sa.Column("city_code", sa.String(length=12), nullable=False),
        sa.Column("geojson", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("city_code"),
    )


def downgrade() -> None:
    op.drop_table("city_boundary")
