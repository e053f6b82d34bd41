"""The city office's actions as plain functions: approve or return returns, publish a period, manage users.

Each checks that the user is an admin (the server's guard has already refused others), records the action in the
audit log and answers with a message key and its values, for the page to show in the user's language.
"""
from __future__ import annotations

from sqlalchemy.engine import Engine

from etl.store import audit
from etl.store.load import set_statuses
from etl.read.problems import ShequError
from etl.store.publish import approved_counties, publish
from etl.store.queries import submissions
from etl.store.recompute import expected_counties
from etl.store.status import Status
from etl.store.users import (MIN_PASSWORD_LENGTH, ROLES, add_user, email_problem, end_sessions, get_user,
                             set_disabled, set_email)

Result = tuple[bool, str, dict]


def _refuse(who) -> Result | None:
    return None if who is not None and who.is_admin else (False, "forbidden", {})


def chosen_ids(submission_ids) -> list[int]:
    """The ids chosen (one, or a list from a multiple choice), as integers; bad values are left out."""
    chosen = submission_ids if isinstance(submission_ids, (list, tuple)) else [submission_ids]
    ids = []
    for value in chosen:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            pass
    return sorted(set(ids))


def awaiting(engine: Engine, period: str | None = None) -> list[int]:
    """The submitted returns not yet approved or sent back (of a period), oldest first."""
    subs = submissions(engine, period=period)
    return sorted(int(i) for i in subs.loc[subs["status"] == Status.SUBMITTED, "id"])


def review(engine: Engine, who, submission_ids, action: str, comment: str | None, remote=None) -> Result:
    """Approve the chosen returns, or send them back with a comment the county sees: one transaction, each in
    the audit log. Approving a selection or a period takes only those still awaiting review."""
    if (refused := _refuse(who)) is not None:
        return refused
    ids = chosen_ids(submission_ids)
    if not ids:
        return False, "choose_submission", {}
    comment = (comment or "").strip()[:2000] or None
    if action == "return" and not comment:
        return False, "need_comment", {}
    approve = action == "approve"

    def record(conn, reviewed) -> None:
        audit.record(conn, "approve" if approve else "return", who.username, remote,
                     submission=reviewed.submission_id, county=reviewed.county_code, period=reviewed.period,
                     comment=comment)

    # Only returns awaiting review change (etl/store/status.py REVIEW_FROM): one sent back, approved by someone
    # else meanwhile, or superseded by a newer return of its county is left as it is, whatever the request says.
    done = set_statuses(engine, ids, Status.APPROVED if approve else Status.RETURNED, comment, record=record)
    if not done:
        return False, "nothing_awaiting", {}
    if len(ids) == 1:
        return True, "approved_ok" if approve else "returned_ok", {"id": done[0].submission_id}
    return True, "approved_many" if approve else "returned_many", {
        "n": len(done), "ids": [r.submission_id for r in done], "skipped": len(ids) - len(done)}


def publish_period(engine: Engine, who, period: str | None, remote=None) -> Result:
    if (refused := _refuse(who)) is not None:
        return refused
    if not period:
        return False, "choose_period", {}
    with engine.connect() as conn:
        expected = expected_counties(conn)
    approved = approved_counties(engine, period)
    missing = [c for c in expected if c not in approved]
    if missing:
        return False, "publish_missing", {"period": period, "counties": missing}
    try:
        version = publish(engine, period, who.username)
    except ShequError as exc:
        return False, "raw", {"text": str(exc)}
    audit.record(engine, "publish", who.username, remote, period=period, version=version)
    return True, "published_ok", {"period": period, "version": version}


def user_problem(engine: Engine, username: str, password: str, role: str | None, county: str | None,
                 email: str | None = None) -> Result | None:
    """What is wrong with a new user, as a message key for the page (etl.store.users says it again, for the CLI)."""
    if email_problem(email) is not None:
        return False, "email_bad", {"email": email}
    if role not in ROLES:
        return False, "user_bad_role", {}
    if role == "analyst" and not county:
        return False, "user_needs_county", {}
    if len(password) < MIN_PASSWORD_LENGTH:
        return False, "user_short_password", {"n": MIN_PASSWORD_LENGTH}
    if not username or len(username) > 64:
        return False, "user_bad_name", {}
    if get_user(engine, username) is not None:
        return False, "user_exists", {"name": username}
    return None


def create_user(engine: Engine, who, username: str | None, password: str | None, role: str | None,
                county: str | None, remote=None, email: str | None = None) -> Result:
    if (refused := _refuse(who)) is not None:
        return refused
    username, password, email = (username or "").strip(), password or "", (email or "").strip() or None
    if (problem := user_problem(engine, username, password, role, county, email)) is not None:
        return problem
    try:
        created = add_user(engine, username, password, role, county or None, email)
    except ShequError:               # made by someone else since the check above
        return False, "user_exists", {"name": username}
    audit.record(engine, "user-add", who.username, remote, user=created.username, role=role,
                 county=created.county_code, email=created.email)
    return True, "user_added", {"name": created.username}


def set_user_disabled(engine: Engine, who, username: str | None, disabled: bool, remote=None) -> Result:
    if (refused := _refuse(who)) is not None:
        return refused
    if not username:
        return False, "choose_user", {}
    if disabled and username == who.username:
        return False, "not_self", {}
    try:
        set_disabled(engine, username, disabled)
    except ShequError:
        return False, "no_user", {"name": username}
    audit.record(engine, "user-disable" if disabled else "user-enable", who.username, remote, user=username)
    return True, "user_disabled" if disabled else "user_enabled", {"name": username}


def end_user_sessions(engine: Engine, who, username: str | None, remote=None) -> Result:
    """Log a user out everywhere (a lost laptop, a shared computer): every session of theirs ends at once."""
    if (refused := _refuse(who)) is not None:
        return refused
    if not username:
        return False, "choose_user", {}
    try:
        ended = end_sessions(engine, username)
    except ShequError:
        return False, "no_user", {"name": username}
    audit.record(engine, "end-sessions", who.username, remote, user=username, sessions=ended)
    return True, "sessions_ended", {"name": username, "n": ended}


def set_user_email(engine: Engine, who, username: str | None, email: str | None, remote=None) -> Result:
    """A user's address for briefings and reminders (empty: none), checked as the CLI checks it."""
    if (refused := _refuse(who)) is not None:
        return refused
    if not username:
        return False, "choose_user", {}
    email = (email or "").strip() or None
    if email_problem(email) is not None:
        return False, "email_bad", {"email": email}
    try:
        stored = set_email(engine, username, email)
    except ShequError:
        return False, "no_user", {"name": username}
    audit.record(engine, "user-email", who.username, remote, user=username, email=stored)
    return True, "email_saved" if stored else "email_removed", {"name": username, "email": stored or ""}
