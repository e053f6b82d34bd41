"""Logins, approval and publishing on a real database, and their CLI commands."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from etl.store import audit
from etl.cli import cli
from etl.store.db import app_user
from etl.ingest import ingest_path
from etl.store.load import set_status, set_statuses
from etl.read.problems import ShequError
from etl.store.publish import publications, publish, published_values
from etl.store.users import add_user, authenticate
from returns import simple_return, standard_rows


def test_passwords_are_hashed_and_checked(engine):
    add_user(engine, "ana", "correct horse", "analyst", "450981")
    stored = engine.connect().execute(select(app_user.c.password_hash)).scalar_one()
    assert "correct horse" not in stored and stored.startswith("scrypt:")
    user, why, _ = authenticate(engine, "ana", "correct horse")
    assert user.role == "analyst" and user.county_code == "450981" and why == ""
    assert authenticate(engine, "ana", "wrong").reason == "password"
    assert authenticate(engine, "nobody", "x").reason == "unknown"


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
    from etl.store import queries
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
    assert authenticate(engine, "ana", "long enough").reason == "disabled"


def test_approving_many_is_one_transaction_each_in_the_audit_log(engine, sample_paths):
    for path in sample_paths:
        if path.name.startswith("2015"):
            ingest_path(engine, path)
    from etl.store import queries
    ids = sorted(int(i) for i in queries.submissions(engine)["id"])
    assert len(ids) == 7

    def approve_record(conn, reviewed):
        audit.record(conn, "approve", "adm", submission=reviewed.submission_id, county=reviewed.county_code,
                     period=reviewed.period)

    def fails_at_the_fourth(conn, reviewed):
        approve_record(conn, reviewed)
        if reviewed.submission_id == ids[3]:
            raise RuntimeError("the audit log could not be written")

    # A failure part-way leaves every return as it was, and the log without any of their approvals.
    with pytest.raises(RuntimeError):
        set_statuses(engine, ids, "approved", only_from=("submitted",), record=fails_at_the_fourth)
    assert set(queries.submissions(engine)["status"]) == {"submitted"}
    assert audit.events(engine).empty
    assert queries.indicator_values(engine, "approved", period="2015").empty

    done = set_statuses(engine, ids, "approved", only_from=("submitted",), record=approve_record)
    assert [r.submission_id for r in done] == ids and {r.period for r in done} == {"2015"}
    assert set(queries.submissions(engine)["status"]) == {"approved"}
    logged = audit.events(engine)
    assert list(logged["action"]) == ["approve"] * 7
    assert sorted(json.loads(d)["submission"] for d in logged["detail"]) == ids
    approved = queries.indicator_values(engine, "approved", period="2015").set_index(["area_code", "indicator"])
    assert approved.loc[("450900", "area_ge_500"), "value"] == 127      # the period recomputed with them
    # Asked again, none awaits review: nothing changes and nothing is logged.
    assert set_statuses(engine, ids, "approved", only_from=("submitted",), record=approve_record) == []
    assert len(audit.events(engine)) == 7


def test_cli_approves_a_period_at_once_and_logs_each(engine, db_url, sample_paths):
    for path in sample_paths:
        if path.name.startswith(("2014", "2015")):
            ingest_path(engine, path)
    result = CliRunner().invoke(cli, ["--db", db_url, "approve", "--period", "2014"])
    assert result.exit_code == 0, result.output
    assert result.output.count("approved #") == 7 and "2014" in result.output
    from etl.store import queries
    subs = queries.submissions(engine)
    assert set(subs[subs["period"] == "2014"]["status"]) == {"approved"}
    assert set(subs[subs["period"] == "2015"]["status"]) == {"submitted"}
    logged = audit.events(engine)
    assert list(logged["action"]) == ["approve"] * 7
    assert {json.loads(d)["period"] for d in logged["detail"]} == {"2014"}


def test_english_problem_messages_name_the_columns_in_english(tmp_path):
    from etl.ingest import ingest_bytes
    from etl.registry import default_registry
    from returns import HEADERS, SheetSpec, write_workbook

    def problems(spec: SheetSpec) -> dict:
        content = write_workbook(tmp_path / "bad.xlsx", spec).read_bytes()
        found = ingest_bytes(None, content, "bad.xlsx", dry_run=True, registry=default_registry()).report.problems
        return {p.code: p for p in found}

    # No 服务项目数（项） column at all.
    drop = HEADERS.index("服务项目数（项）")
    without = problems(SheetSpec(headers=[HEADERS[:drop] + HEADERS[drop + 1:]],
                                 rows=[r[:drop] + r[drop + 1:] for r in standard_rows(n=3)]))
    assert without["missing-column"].message_en == "the required column 'Service items' is missing"
    assert without["missing-column"].message_zh == "缺少必填列“服务项目数（项）”"
    # A blank and a too large service area; a kind that is not one of the choices.
    rows = standard_rows(n=3)
    rows[0][5], rows[1][5], rows[2][4] = None, 25000, "其他"
    bad = problems(SheetSpec(rows=rows))
    assert bad["missing-value"].message_en == "'Service premises (m²)' is required"
    assert bad["missing-value"].message_zh == "“服务用房面积（平方米）”为必填项"
    assert bad["out-of-range"].message_en == "25000 is out of range (Service premises (m²): 0–20000)"
    assert bad["not-a-choice"].message_en == "'其他' is not one of the allowed values (城市社区, 乡镇社区)"
    column_names = [p.message_en for p in [*without.values(), *bad.values()] if p.code != "not-a-choice"]
    assert not any("\u4e00" <= ch <= "\u9fff" for text in column_names for ch in text)
