"""Loading a validated return: submission, rows, links and indicators in one transaction, or nothing."""
from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator

import pandas as pd
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from .db import COMMUNITY_VALUE_FIELDS, bulk_insert, community_return, leader_link, submission, write_transaction
from .problems import Problem
from .validate import LINK_COLUMNS
from .indicators import return_terms
from .recompute import leader_frames, recompute, store_terms


@dataclass
class ParsedReturn:
    """What the reader made of one workbook: where it is from and its clean rows, ready to load."""

    county_code: str
    period: str
    communities: pd.DataFrame          # community_code, the return's fields, sheet, source_row
    links: pd.DataFrame                # validate.LINK_COLUMNS
    warnings: list[Problem] = field(default_factory=list)
    terms: pd.DataFrame | None = None  # indicators.return_terms of the rows, when the reader computed them


@dataclass
class ReturnPart:
    """Validated rows of a return, handed over by the reader while it checks the rest: a part of its community
    rows, or, once all of it is found valid, its leader links."""

    county_code: str
    period: str
    communities: pd.DataFrame | None
    links: pd.DataFrame | None = None


@dataclass
class LoadResult:
    status: str                        # loaded | unchanged
    submission_id: int
    superseded: list[int] = field(default_factory=list)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def load_return(engine: Engine, parsed: ParsedReturn, file_name: str, content: bytes,
                uploaded_by: str = "cli", recompute_indicators: bool = True) -> LoadResult:
    """Store the return; a newer return for the same county and period supersedes the older submitted ones.

    The same bytes loaded again change nothing (status 'unchanged'). Everything, indicators included, commits in
    one transaction: if anything fails, the database is as it was. A bulk load of many returns may leave the
    indicators to one `recompute` at the end (recompute_indicators=False).
    """
    whole = ReturnPart(parsed.county_code, parsed.period, parsed.communities, parsed.links)
    return load_streamed(engine, parsed.county_code, parsed.period, [whole], lambda: parsed, file_name, content,
                         uploaded_by, recompute_indicators)


class _Rejected(Exception):
    """The rest of a streamed return has errors: the transaction is rolled back."""


class _Moved(Exception):
    """A part is of another county or period than the load was begun for (the reader's guess from the leader
    sheet, read before the community rows, was wrong): what went in is rolled back, and the load begins again."""

    def __init__(self, part: ReturnPart):
        super().__init__(f"{part.county_code} {part.period}")
        self.part = part


def load_streamed(engine: Engine, county_code: str, period: str, parts: Iterable[ReturnPart],
                  rest: Callable[[], ParsedReturn | None], file_name: str, content: bytes, uploaded_by: str = "cli",
                  recompute_indicators: bool = True) -> LoadResult | None:
    """load_return for a return whose reader is still at work: each part of its rows goes in as it comes, then
    `rest()` waits for the whole return (made of the parts, and what was not handed over in parts).

    `rest()` gives None when the reader found errors after handing parts over: then nothing is written and this
    returns None. The first part may be the leader links for the county and period the leader sheet names,
    handed over before the community rows are read: a later part of another county or period begins the load
    again from that part, and a later part with links replaces them.
    """
    parts = iter(parts)
    while True:
        try:
            return _load_parts(engine, county_code, period, parts, rest, file_name, content, uploaded_by,
                               recompute_indicators)
        except _Moved as moved:
            county_code, period = moved.part.county_code, moved.part.period
            parts = itertools.chain([moved.part], parts)


def _load_parts(engine: Engine, county_code: str, period: str, parts: Iterator[ReturnPart],
                rest: Callable[[], ParsedReturn | None], file_name: str, content: bytes, uploaded_by: str,
                recompute_indicators: bool) -> LoadResult | None:
    digest = sha256(content)
    now = datetime.now(timezone.utc)
    try:
        with write_transaction(engine, serialise_loads=True) as conn:
            existing = conn.execute(select(submission.c.id).where(submission.c.sha256 == digest,
                                                                  submission.c.county_code == county_code,
                                                                  submission.c.period == period)
                                    .order_by(submission.c.id.desc())).first()
            if existing:
                return LoadResult("unchanged", existing.id) if rest() is not None else None
            older = [r.id for r in conn.execute(select(submission.c.id).where(
                submission.c.county_code == county_code, submission.c.period == period,
                submission.c.status == "submitted"))]
            # The file's bytes go in with the final counts: written once, not once here and again by that update
            # (a row's update rewrites its blob; 20 MB to the WAL instead of 10 for a 10 MB file).
            submission_id = conn.execute(insert(submission).values(
                county_code=county_code, period=period, file_name=file_name, sha256=digest, content=b"",
                uploaded_by=uploaded_by, uploaded_at=now, status="submitted", status_changed_at=now,
                n_communities=0, n_links=0)).inserted_primary_key[0]
            links_stored, leaders = False, None
            for part in parts:
                if (part.county_code, part.period) != (county_code, period):
                    raise _Moved(part)
                if part.communities is not None:
                    bulk_insert(conn, community_return, part.communities,
                                ["community_code", *COMMUNITY_VALUE_FIELDS, "sheet", "source_row"],
                                submission_id=submission_id)
                if part.links is not None:
                    if links_stored:
                        conn.execute(delete(leader_link).where(leader_link.c.submission_id == submission_id))
                    bulk_insert(conn, leader_link, part.links, LINK_COLUMNS, submission_id=submission_id)
                    links_stored = True
                    if recompute_indicators:
                        # The leader indicators need only the links and which submissions count (this one, the
                        # newest of its county and period): read now, while the reader may still be at work.
                        leaders = {"current": leader_frames(conn, "current", [period])}
            parsed = rest()
            if parsed is None:
                raise _Rejected
            conn.execute(update(submission).where(submission.c.id == submission_id).values(
                warnings=json.dumps([p.to_dict() for p in parsed.warnings], ensure_ascii=False),
                n_communities=len(parsed.communities), n_links=len(parsed.links), content=content))
            if not links_stored:
                bulk_insert(conn, leader_link, parsed.links, LINK_COLUMNS, submission_id=submission_id)
            terms = parsed.terms if parsed.terms is not None else terms_of(parsed)
            store_terms(conn, submission_id, terms)
            if older:
                conn.execute(update(submission).where(submission.c.id.in_(older))
                             .values(status="superseded", status_changed_at=now))
            if recompute_indicators:
                # A new return is submitted, and it supersedes only submitted ones: the approved basis is as it was.
                recompute(conn, [period], bases=("current",), leaders=leaders)
    except _Rejected:
        return None
    return LoadResult("loaded", submission_id, older)


def terms_of(parsed: ParsedReturn) -> pd.DataFrame:
    """What the return's community rows add to each community-table indicator (stored with the submission)."""
    return return_terms(parsed.communities, parsed.links, parsed.period, parsed.county_code)


def set_status(engine: Engine, submission_id: int, status: str, comment: str | None = None) -> None:
    """Approve or return a submission; approving supersedes the county's older approved return for the period."""
    if not set_statuses(engine, [submission_id], status, comment):
        raise LookupError(f"no submission {submission_id}")


@dataclass
class Reviewed:
    """A submission whose status a review changed."""

    submission_id: int
    county_code: str
    period: str


def set_statuses(engine: Engine, submission_ids: Iterable[int], status: str, comment: str | None = None, *,
                 only_from: tuple[str, ...] | None = None,
                 record: Callable[[Connection, Reviewed], None] | None = None) -> list[Reviewed]:
    """set_status for several submissions in one transaction, their periods recomputed once: all or nothing.

    `only_from` changes only the submissions in one of these statuses and leaves the others as they are (e.g.
    ("submitted",): those approved or sent back by someone else meanwhile, or superseded by a newer return).
    `record(conn, reviewed)` is called for each change inside the transaction, so the audit log holds exactly
    what was committed.
    """
    if status not in ("approved", "returned", "submitted"):
        raise ValueError(f"cannot set status {status!r}")
    ids = sorted({int(i) for i in submission_ids})
    now = datetime.now(timezone.utc)
    done: list[Reviewed] = []
    with write_transaction(engine, serialise_loads=True) as conn:
        query = select(submission.c.id, submission.c.county_code, submission.c.period).where(
            submission.c.id.in_(ids))
        if only_from is not None:
            query = query.where(submission.c.status.in_(only_from))
        for row in conn.execute(query.order_by(submission.c.id)).fetchall():
            if status == "approved":
                conn.execute(update(submission).where(
                    submission.c.county_code == row.county_code, submission.c.period == row.period,
                    submission.c.id < row.id, submission.c.status.in_(("approved", "submitted")))
                    .values(status="superseded", status_changed_at=now))
            conn.execute(update(submission).where(submission.c.id == row.id)
                         .values(status=status, comment=comment, status_changed_at=now))
            done.append(Reviewed(row.id, row.county_code, row.period))
            if record is not None:
                record(conn, done[-1])
        if done:
            recompute(conn, sorted({r.period for r in done}))
    return done
