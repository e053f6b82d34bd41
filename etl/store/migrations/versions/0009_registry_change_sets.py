"""Registry change sets: each community's states with the periods they held, and every change set applied.

Revision ID: 0009
Revises: 0008

A database of an earlier release has no change set: its registry held from the start, so no era is written here
(etl/store/registry_changes.py writes them all when the first change set is applied).
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "community_era",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("valid_from", sa.String(length=8), nullable=False),
        sa.Column("valid_until", sa.String(length=8), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("township_code", sa.String(length=12), nullable=False),
        sa.Column("township_name", sa.String(length=64), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("code", "valid_from"),
    )
    op.create_table(
        "registry_change_set",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("effective_period", sa.String(length=8), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("applied_by", sa.String(length=64), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "registry_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("change_set_id", sa.Integer(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=8), nullable=False),
        sa.Column("old_code", sa.String(length=12), nullable=True),
        sa.Column("new_code", sa.String(length=12), nullable=True),
        sa.Column("new_name", sa.String(length=64), nullable=True),
        sa.Column("township_code", sa.String(length=12), nullable=True),
        sa.Column("township_name", sa.String(length=64), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["change_set_id"], ["registry_change_set.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_registry_change_set", "registry_change", ["change_set_id"])


def downgrade() -> None:
    op.drop_index("ix_registry_change_set", table_name="registry_change")
    op.drop_table("registry_change")
    op.drop_table("registry_change_set")
    op.drop_table("community_era")
