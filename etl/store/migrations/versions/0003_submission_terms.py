"""Per-submission indicator term sums; community-level values are no longer stored (computed when read).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission_term",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(length=40), nullable=False),
        sa.Column("a", sa.Float(), nullable=False),
        sa.Column("b", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("submission_id", "indicator"),
    )
    # The terms of existing submissions are filled in by `shequ init` (etl/store/recompute.py backfill_terms).
    op.execute("DELETE FROM indicator_value WHERE level = 'community'")


def downgrade() -> None:
    op.drop_table("submission_term")
