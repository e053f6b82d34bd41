"""The upload's work, as plain functions: accept a file (kept server-side), check it (dry run), submit it.

The web request that receives a drop checks each file's name and size (its server's settings decide) and keeps the
bytes in the database (table upload_waiting, shared by every server and job worker) under a random token and the
id of the user who uploaded it, for two hours; the check and the submission, background jobs, read them back by
token, and the browser only ever holds the token. Beside the file waits the check's full problem list (gzip JSON
lines), for download: the page shows the first few. File names are shown and stored, never used as paths.
"""
from __future__ import annotations

import base64
import binascii
import gzip
import io
import json
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pandas as pd
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from etl.config import load_settings
from etl.store import audit
from etl.store.db import registry_from_db, upload_waiting
from etl.store.diff import diff_against_current
from etl.ingest import ingest_bytes
from etl.read.problems import Problem
from etl.store.load import load_return
from etl.store.status import LIVE

STASH_SECONDS = 2 * 3600
PREVIEW_ROWS = 10


@dataclass
class Checked:
    """What the dry run found in one file, ready to show."""

    token: str | None
    file: str
    status: str                       # waiting (accepted, not yet checked) | valid | rejected | forbidden | expired
                                      # | too-big | not-xlsx | too-many (refused before the check)
    county_code: str | None = None
    period: str | None = None
    counts: dict = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)    # the first few (settings: upload.problems_shown)
    errors: int = 0                                       # all of them, counted
    warnings: int = 0
    preview: list[dict] = field(default_factory=list)
    diff: list[dict] | None = None                # None: nothing to compare with (a first return)
    matched: int = 0

    @property
    def can_submit(self) -> bool:
        return self.status == "valid" and self.token is not None


def stash(engine: Engine, user_id: int, file_name: str, content: bytes) -> str:
    """Keep the bytes for the submission (and forget expired ones); the token is all the browser gets."""
    token = secrets.token_urlsafe(24)
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(delete(upload_waiting).where(upload_waiting.c.expires_at < now))
        conn.execute(insert(upload_waiting).values(token=token, user_id=int(user_id), file_name=file_name,
                                                   content=content,
                                                   expires_at=now + timedelta(seconds=STASH_SECONDS)))
    return token


def forget(engine: Engine, token: str) -> None:
    """Drop a waiting file (one that may not be submitted)."""
    with engine.begin() as conn:
        conn.execute(delete(upload_waiting).where(upload_waiting.c.token == token))


def keep_problems(engine: Engine, token: str, problems: Iterable[Problem]) -> None:
    """The check's full problem list beside the waiting file: gzip, one JSON object a line (written as it goes,
    so that a return with 100,000 problems never becomes one big list of dicts or one big string)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=6) as out:
        for problem in problems:
            out.write(json.dumps(problem.to_dict(), ensure_ascii=False).encode() + b"\n")
    with engine.begin() as conn:
        conn.execute(update(upload_waiting).where(upload_waiting.c.token == token)
                     .values(problems=buffer.getvalue()))


def kept_problems(engine: Engine, token: str, user_id: int) -> Iterator[dict] | None:
    """The full problem list of a checked file, one problem at a time; only for the user who uploaded it."""
    if not isinstance(token, str):
        return None
    with engine.connect() as conn:
        blob = conn.execute(select(upload_waiting.c.problems).where(
            upload_waiting.c.token == token, upload_waiting.c.user_id == int(user_id),
            upload_waiting.c.expires_at >= datetime.now(timezone.utc))).scalar()
    if blob is None:
        return None
    return (json.loads(line) for line in gzip.GzipFile(fileobj=io.BytesIO(bytes(blob))))


def unstash(engine: Engine, token: str, user_id: int) -> tuple[str, bytes] | None:
    """The waiting file, only for the user who uploaded it and only until it expires."""
    if not isinstance(token, str):
        return None
    with engine.connect() as conn:
        row = conn.execute(select(upload_waiting.c.file_name, upload_waiting.c.content).where(
            upload_waiting.c.token == token, upload_waiting.c.user_id == int(user_id),
            upload_waiting.c.expires_at >= datetime.now(timezone.utc))).first()
    return (row.file_name, bytes(row.content)) if row else None


def decode(contents: str) -> bytes | None:
    """dcc.Upload's data URL → bytes (None when it is not base64)."""
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, ValueError, binascii.Error, AttributeError):
        return None


def display_name(name: object) -> str:
    """A file name to show and store: the last path part, no control characters, at most 200 characters."""
    text = str(name or "upload.xlsx").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if ch.isprintable())
    return text[:200] or "upload.xlsx"


def accept(engine: Engine, user, file_name: str, content: bytes | None, max_bytes: int) -> Checked:
    """What the web request does with a dropped file: refuse a wrong name or size, else keep it ("waiting")."""
    name = display_name(file_name)
    if not name.lower().endswith(".xlsx"):
        return Checked(None, name, "not-xlsx")
    if content is None or len(content) > max_bytes:
        return Checked(None, name, "too-big")
    return Checked(stash(engine, int(user.id), name, content), name, "waiting")


def check_file(engine: Engine, user, file_name: str, content: bytes | None,
               max_bytes: int, remote_addr: str | None = None, shown: int | None = None) -> Checked:
    """Accept a file and check it, in one go (what the page does in two steps: the request, then a job)."""
    accepted = accept(engine, user, file_name, content, max_bytes)
    if accepted.status != "waiting":
        return accepted
    return check_waiting(engine, user, accepted.token, remote_addr, shown)


def check_waiting(engine: Engine, user, token: str, remote_addr: str | None = None,
                  shown: int | None = None) -> Checked:
    """The dry run of one waiting file: read, validate, compare with the current return; nothing is loaded.

    The first `shown` problems (settings: upload.problems_shown) come back to show; all of them are kept beside the
    file (keep_problems) and counted.
    """
    found = unstash(engine, token, int(user.id))
    if found is None:
        return Checked(None, "", "expired")
    name, content = found
    shown = load_settings().problems_shown if shown is None else shown
    # The request that accepted the file applied its server's size limit: a job worker's settings do not decide
    # again (a worker without the web servers' SHEQU_CONFIG would refuse what the page said it takes).
    outcome = ingest_bytes(engine, content, name, dry_run=True, uploaded_by=user.username,
                           max_bytes=len(content))
    report = outcome.report
    errors = len(report.errors)
    audit.record(engine, "dry-run", user.username, remote_addr, file=name, status=outcome.status,
                 county=outcome.county_code, period=outcome.period, errors=errors)
    keep_problems(engine, token, report.problems)
    result = Checked(token, name, outcome.status, outcome.county_code, outcome.period, dict(outcome.counts),
                     [p.to_dict() for p in report.problems[:shown]], errors, len(report.problems) - errors)
    if outcome.parsed is None:
        return result
    registry = registry_from_db(engine)
    rows = outcome.parsed.communities
    result.matched = int(rows["community_code"].isin({c.code for c in registry.communities}).sum())
    result.preview = _records(rows.head(PREVIEW_ROWS))
    diff = diff_against_current(engine, outcome.parsed)
    result.diff = _records(diff) if _has_current(engine, outcome.parsed) else None
    if not user.can_upload_for(outcome.county_code):
        forget(engine, token)
        result.status, result.token = "forbidden", None
    return result


def _has_current(engine: Engine, parsed) -> bool:
    from etl.store.queries import submissions
    subs = submissions(engine, parsed.county_code, parsed.period)
    return bool(len(subs) and subs["status"].isin(LIVE).any())


def _records(df: pd.DataFrame) -> list[dict]:
    """JSON-safe records (NaN → None)."""
    out = df.astype(object).where(df.notna(), None)
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in out.to_dict("records")]


@dataclass
class Submitted:
    status: str                                   # loaded | unchanged | rejected | forbidden | expired
    submission_id: int | None = None
    county_code: str | None = None
    period: str | None = None


def submit_file(engine: Engine, user, token: str, remote_addr: str | None = None,
                progress: Callable[[str], None] | None = None) -> Submitted:
    """Load a checked file: read again, check that this user may submit for its county, load in one transaction.

    `progress` hears each stage as it starts: "checking" (the file read again), then "loading" (the return and its
    indicators, one transaction); the caller knows when it is done.
    """
    if user is None or user.role not in ("analyst", "admin"):
        return Submitted("forbidden")
    found = unstash(engine, token, int(user.id))
    if found is None:
        return Submitted("expired")
    name, content = found
    report = progress or (lambda _stage: None)
    report("checking")
    outcome = ingest_bytes(engine, content, name, dry_run=True, uploaded_by=user.username, max_bytes=len(content))
    if outcome.parsed is None:
        return Submitted("rejected", county_code=outcome.county_code, period=outcome.period)
    if not user.can_upload_for(outcome.county_code):
        return Submitted("forbidden", county_code=outcome.county_code, period=outcome.period)
    report("loading")
    loaded = load_return(engine, outcome.parsed, name, content, user.username)
    audit.record(engine, "upload", user.username, remote_addr, file=name, county=outcome.county_code,
                 period=outcome.period, submission=loaded.submission_id, status=loaded.status)
    return Submitted(loaded.status, loaded.submission_id, outcome.county_code, outcome.period)
