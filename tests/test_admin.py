"""Logins, lockout, approval and publishing on a real database, and their CLI commands."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from etl import audit
from etl.cli import cli
from etl.db import app_user
from etl.ingest import ingest_path
from etl.load import set_status
from etl.problems import ShequError
from etl.publish import publications, publish, published_values
from etl.users import add_user, authenticate
from returns import simple_return, standard_rows


def test_passwords_are_hashed_and_checked(engine):
    add_user(engine, "ana", "correct horse", "analyst", "450981")
    stored = engine.connect().execute(select(app_user.c.password_hash)).scalar_one()
    assert "correct horse" not in stored and stored.startswith("scrypt:")
    user, why = authenticate(engine, "ana", "correct horse")
    assert user.role == "analyst" and user.county_code == "450981" and why == ""
    assert authenticate(engine, "ana", "wrong")[1] == "password"
    assert authenticate(engine, "nobody", "x")[1] == "unknown"


def test_five_failures_lock_the_account_for_fifteen_minutes(engine):
    add_user(engine, "ana", "correct horse", "viewer")
    now = datetime.now(timezone.utc)
    reasons = [authenticate(engine, "ana", "bad", now)[1] for _ in range(5)]
    assert reasons == ["password"] * 4 + ["locked"]
    assert authenticate(engine, "ana", "correct horse", now + timedelta(minutes=14))[1] == "locked"
    assert authenticate(engine, "ana", "correct horse", now + timedelta(minutes=16))[0] is not None


def test_roles_decide_who_uploads_for_which_county(engine):
    analyst = add_user(engine, "ana", "password1", "analyst", "450981")
    viewer = add_user(engine, "vic", "password1", "viewer")
    admin = add_user(engine, "adm", "password1", "admin")
    assert analyst.can_upload_for("450981") and not analyst.can_upload_for("450902")
    assert not viewer.can_upload_for("450981") and admin.can_upload_for("450902")
    with pytest.raises(ShequError):
        add_user(engine, "x", "password1", "analyst")          # an analyst needs a county
    with pytest.raises(ShequError):
        add_user(engine, "ana", "password1", "viewer")          # names are unique


def test_publishing_needs_every_county_approved_and_versions_corrections(engine, sample_paths, tmp_path):
    for path in sample_paths:
        if path.name.startswith("2015"):
            ingest_path(engine, path)
    with pytest.raises(ShequError, match="not approved"):
        publish(engine, "2015", "adm")
    from etl import queries
    for sid in queries.submissions(engine)["id"]:
        set_status(engine, int(sid), "approved")
    assert publish(engine, "2015", "adm") == 1
    assert publish(engine, "2015", "adm") == 1                  # nothing changed, no new version
    frozen = published_values(engine, "2015").set_index(["area_code", "indicator"])["value"]
    assert frozen[("450900", "area_ge_500")] == 127
    correction = simple_return(tmp_path / "fix.xlsx", rows=standard_rows(area=100),
                               title=[["填报单位：北流市", "报告期：2015年"]])
    sid = ingest_path(engine, correction).load.submission_id
    set_status(engine, sid, "approved")
    assert publish(engine, "2015", "adm") == 2
    assert list(publications(engine)["version"]) == [1, 2]
    assert published_values(engine, "2015", 1).set_index(["area_code", "indicator"])["value"][
        ("450900", "area_ge_500")] == 127                        # version 1 stays as it was
    assert published_values(engine, "2015").set_index(["area_code", "indicator"])["value"][
        ("450900", "communities")] == 184 - 34 + 3


def test_cli_user_approve_and_audit(engine, db_url, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", db_url, "user", "add", "ana", "--role", "analyst", "--county", "北流市",
                                 "--password-stdin"], input="long enough\n")
    assert result.exit_code == 0, result.output
    assert runner.invoke(cli, ["--db", db_url, "user", "add", "x", "--role", "viewer", "--password-stdin"],
                         input="short\n").exit_code == 2
    ingest_path(engine, simple_return(tmp_path / "r.xlsx"))
    result = runner.invoke(cli, ["--db", db_url, "approve", "--county", "450981", "--period", "2015"])
    assert result.exit_code == 0 and "approved #1" in result.output
    assert runner.invoke(cli, ["--db", db_url, "approve"]).exit_code == 2
    actions = list(audit.events(engine)["action"])
    assert actions == ["approve", "user-add"]
    assert runner.invoke(cli, ["--db", db_url, "user", "disable", "ana"]).exit_code == 0
    assert authenticate(engine, "ana", "long enough")[1] == "disabled"
