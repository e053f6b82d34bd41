"""Loading a validated return: submission, rows, links and indicators in one transaction, or nothing."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable

import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from etl.compute.indicators import return_terms
from etl.read.problems import Problem, ShequError
from etl.read.validate import LINK_COLUMNS
from etl.store.db import (COMMUNITY_VALUE_FIELDS, bulk_insert, community_return, leader_link, submission,
                          write_transaction)
from etl.store.recompute import recompute, store_terms
from etl.store.status import LIVE, REVIEW_FROM, Status


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
class LoadResult:
    status: str                        # loaded | unchanged
    submission_id: int
    superseded: list[int] = field(default_factory=list)


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def load_return(engine: Engine, parsed: ParsedReturn, file_name: str, content: bytes,
                uploaded_by: str = "cli", recompute_indicators: bool = True) -> LoadResult:
    """Store the return; a newer return for the same county and period supersedes the older submitted ones.

    The same bytes loaded again change nothing (status 'unchanged'), unless the city sent them back: then they are
    a new submission to review (a county may stand by a return the city sent back). Everything, indicators included, commits in
    one transaction: if anything fails, the database is as it was. A bulk load of many returns may leave the
    indicators to one `recompute` at the end (recompute_indicators=False).
    """
    county_code, period = parsed.county_code, parsed.period
    digest = sha256(content)
    now = datetime.now(timezone.utc)
    with write_transaction(engine, serialise_loads=True) as conn:
        existing = conn.execute(select(submission.c.id).where(submission.c.sha256 == digest,
                                                              submission.c.county_code == county_code,
                                                              submission.c.period == period,
                                                              submission.c.status != Status.RETURNED)
                                .order_by(submission.c.id.desc())).first()
        if existing:
            return LoadResult("unchanged", existing.id)
        older = [r.id for r in conn.execute(select(submission.c.id).where(
            submission.c.county_code == county_code, submission.c.period == period,
            submission.c.status == Status.SUBMITTED))]
        submission_id = conn.execute(insert(submission).values(
            county_code=county_code, period=period, file_name=file_name, sha256=digest, content=content,
            uploaded_by=uploaded_by, uploaded_at=now, status=Status.SUBMITTED, status_changed_at=now,
            warnings=json.dumps([p.to_dict() for p in parsed.warnings], ensure_ascii=False),
            n_communities=len(parsed.communities), n_links=len(parsed.links))).inserted_primary_key[0]
        bulk_insert(conn, community_return, parsed.communities,
                    ["community_code", *COMMUNITY_VALUE_FIELDS, "sheet", "source_row"], submission_id=submission_id)
        bulk_insert(conn, leader_link, parsed.links, LINK_COLUMNS, submission_id=submission_id)
        store_terms(conn, submission_id, parsed.terms if parsed.terms is not None else terms_of(parsed))
        if older:
            conn.execute(update(submission).where(submission.c.id.in_(older))
                         .values(status=Status.SUPERSEDED, status_changed_at=now))
        if recompute_indicators:
            # A new return is submitted, and it supersedes only submitted ones: the approved basis is as it was.
            recompute(conn, [period], bases=("current",))
    return LoadResult("loaded", submission_id, older)


def terms_of(parsed: ParsedReturn) -> pd.DataFrame:
    """What the return's community rows add to each community-table indicator (stored with the submission)."""
    return return_terms(parsed.communities, parsed.links, parsed.period, parsed.county_code)


def set_status(engine: Engine, submission_id: int, status: str, comment: str | None = None) -> None:
    """Approve or return a submitted return; approving supersedes the county's older approved return for the period.
    A ShequError when there is no such return or it is not awaiting review."""
    if not set_statuses(engine, [submission_id], status, comment):
        with engine.connect() as conn:
            found = conn.execute(select(submission.c.status).where(submission.c.id == int(submission_id))).first()
        if found is None:
            raise ShequError(f"no submission {submission_id}", 1)
        raise ShequError(f"submission {submission_id} is {found.status}: only a submitted return can be {status}", 1)


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

    Only the review's moves are made (etl/store/status.py REVIEW_FROM: a submitted return approved or sent back);
    a submission in any other status is left as it is, e.g. one approved or sent back by someone else meanwhile, or
    superseded by a newer return. `only_from` narrows the statuses changed further. `record(conn, reviewed)` is
    called for each change inside the transaction, so the audit log holds exactly what was committed.
    """
    if status not in REVIEW_FROM:
        raise ValueError(f"cannot set status {status!r}")
    only_from = tuple(s for s in REVIEW_FROM[status] if only_from is None or s in only_from)
    ids = sorted({int(i) for i in submission_ids})
    now = datetime.now(timezone.utc)
    done: list[Reviewed] = []
    with write_transaction(engine, serialise_loads=True) as conn:
        query = select(submission.c.id, submission.c.county_code, submission.c.period).where(
            submission.c.id.in_(ids))
        query = query.where(submission.c.status.in_(only_from))
        for row in conn.execute(query.order_by(submission.c.id)).fetchall():
            if status == Status.APPROVED:
                conn.execute(update(submission).where(
                    submission.c.county_code == row.county_code, submission.c.period == row.period,
                    submission.c.id < row.id, submission.c.status.in_(LIVE))
                    .values(status=Status.SUPERSEDED, status_changed_at=now))
            conn.execute(update(submission).where(submission.c.id == row.id)
                         .values(status=status, comment=comment, status_changed_at=now))
            done.append(Reviewed(row.id, row.county_code, row.period))
            if record is not None:
                record(conn, done[-1])
        if done:
            recompute(conn, sorted({r.period for r in done}))
    return done
