"""Indexes for looking up a community's history and its leaders across submissions.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_community_return_community", "community_return", ["community_code"])
    op.create_index("ix_leader_link_community", "leader_link", ["community_code"])


def downgrade() -> None:
    op.drop_index("ix_leader_link_community", "leader_link")
    op.drop_index("ix_community_return_community", "community_return")
