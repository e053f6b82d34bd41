"""The city office's actions as plain functions: approve or return a return, publish a period, manage users.

Each checks that the user is an admin (the server's guard has already refused others), records the action in the
audit log and answers with a message key and its values, for the page to show in the user's language.
"""
from __future__ import annotations

from sqlalchemy.engine import Engine

from etl import audit
from etl.load import set_status
from etl.problems import ShequError
from etl.publish import approved_counties, publish
from etl.recompute import expected_counties
from etl.users import ROLES, add_user, set_disabled

Result = tuple[bool, str, dict]


def _refuse(who) -> Result | None:
    return None if who is not None and who.is_admin else (False, "forbidden", {})


def review(engine: Engine, who, submission_id, action: str, comment: str | None, remote=None) -> Result:
    """Approve a submitted return, or send it back with a comment the county sees."""
    if (refused := _refuse(who)) is not None:
        return refused
    try:
        submission_id = int(submission_id)
    except (TypeError, ValueError):
        return False, "choose_submission", {}
    comment = (comment or "").strip()[:2000] or None
    if action == "return" and not comment:
        return False, "need_comment", {}
    status = "approved" if action == "approve" else "returned"
    try:
        set_status(engine, submission_id, status, comment)
    except LookupError:
        return False, "choose_submission", {}
    audit.record(engine, "approve" if action == "approve" else "return", who.username, remote,
                 submission=submission_id, comment=comment)
    return True, "approved_ok" if action == "approve" else "returned_ok", {"id": submission_id}


def publish_period(engine: Engine, who, period: str | None, remote=None) -> Result:
    if (refused := _refuse(who)) is not None:
        return refused
    if not period:
        return False, "choose_submission", {}
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


def create_user(engine: Engine, who, username: str | None, password: str | None, role: str | None,
                county: str | None, remote=None) -> Result:
    if (refused := _refuse(who)) is not None:
        return refused
    if role not in ROLES:
        return False, "raw", {"text": "role?"}
    try:
        created = add_user(engine, (username or "").strip(), password or "", role, county or None)
    except ShequError as exc:
        return False, "raw", {"text": str(exc)}
    audit.record(engine, "user-add", who.username, remote, user=created.username, role=role,
                 county=created.county_code)
    return True, "user_added", {"name": created.username}


def set_user_disabled(engine: Engine, who, username: str | None, disabled: bool, remote=None) -> Result:
    if (refused := _refuse(who)) is not None:
        return refused
    if not username:
        return False, "raw", {"text": "?"}
    if disabled and username == who.username:
        return False, "not_self", {}
    try:
        set_disabled(engine, username, disabled)
    except ShequError as exc:
        return False, "raw", {"text": str(exc)}
    audit.record(engine, "user-disable" if disabled else "user-enable", who.username, remote, user=username)
    return True, "user_disabled" if disabled else "user_enabled", {"name": username}
