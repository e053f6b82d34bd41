"""A return without a leader sheet has no leader figures: its stored term sums counted its weak communities as
unlinked (weak_linked_pct 0 %), where the links are unknown. Those sums are dropped here, and `shequ init`
computes them afresh and recomputes every period on both bases (etl/store/setup.py init_db, etl/store/recompute.py
backfill_terms), so an upgraded database shows the period as missing, as a new load would.

Only returns without links change: in every other one each community's links are known, as they were before.
The terms are recomputed by `shequ init` rather than here because that uses today's code, which may read columns
a later migration adds.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM submission_term WHERE submission_id IN (SELECT id FROM submission WHERE n_links = 0)")


def downgrade() -> None:
    # The sums dropped are recomputed by `shequ init` whatever the revision: nothing to undo in the schema.
    pass
