"""A submission's status, and which statuses count: the one place these words are spelled."""
from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """submitted → approved or returned (by the city); any of them → superseded by a newer return of the county and
    period. A StrEnum: equal to the string stored in the database and shown in the CLI's output."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    SUPERSEDED = "superseded"


# The returns that stand (not sent back or replaced): what the current basis counts, and what warns the city.
LIVE = (Status.SUBMITTED, Status.APPROVED)
# Which statuses count on each basis; the newest such submission of a county and period is the one that counts.
BASIS_STATUSES = {"current": LIVE, "approved": (Status.APPROVED,)}


# The review's moves, by the status they lead to: the city approves a submitted return or sends it back, and that
# is all a person changes (a newer return of the county supersedes any of them when it is loaded). A return sent
# back stays so: the county submits again. Checked where the change is made (etl/store/load.py set_statuses).
REVIEW_FROM = {Status.APPROVED: (Status.SUBMITTED,), Status.RETURNED: (Status.SUBMITTED,)}
