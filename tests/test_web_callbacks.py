"""The upload, approval and export callbacks' work as plain functions, on real databases and real workbooks."""
from __future__ import annotations

import base64
import io
import json
import shutil
import sys
from datetime import datetime, timedelta, timezone

import dash
import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select, update

from conftest import table_counts
from returns import SheetSpec, simple_return, standard_rows, write_workbook

from dashboard import admin_actions, auth, figures, ids, uploads
from dashboard.app import create_app
from etl.store import queries
from etl.store.audit import events
from etl.store.db import make_engine, upload_waiting
from etl.store.users import add_user, list_users

PASSWORD = "web-pass-123"


def web_user(engine, name, role, county=None):
    return auth.WebUser(add_user(engine, name, PASSWORD, role, county))


def text_of(component) -> str:
    return json.dumps(component.to_plotly_json(), ensure_ascii=False,
                      default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o))


@pytest.fixture
def beiliu(tmp_path):
    return simple_return(tmp_path / "北流市_2015.xlsx").read_bytes()


def test_check_then_submit_loads_once_and_audits(engine, tmp_path, beiliu):
    analyst = web_user(engine, "ana", "analyst", "450981")
    checked = uploads.check_file(engine, analyst, "北流市_2015.xlsx", beiliu, 2**20)
    assert (checked.status, checked.county_code, checked.period, checked.matched) == ("valid", "450981", "2015", 3)
    assert checked.can_submit and checked.diff is None and len(checked.preview) == 3
    assert table_counts(engine)["submission"] == 0
    stages = []
    done = uploads.submit_file(engine, analyst, checked.token, progress=stages.append)
    assert done.status == "loaded" and table_counts(engine)["submission"] == 1
    assert stages == ["checking", "loading"]                 # what the submission's progress bar shows
    again = uploads.submit_file(engine, analyst, checked.token)
    assert again.status == "unchanged" and table_counts(engine)["submission"] == 1
    assert {"dry-run", "upload"} <= set(events(engine)["action"])


def test_resubmission_shows_the_changes_first(engine, tmp_path, beiliu):
    analyst = web_user(engine, "ana", "analyst", "450981")
    first = uploads.check_file(engine, analyst, "a.xlsx", beiliu, 2**20)
    uploads.submit_file(engine, analyst, first.token)
    rows = standard_rows("450981", 4)
    rows[0][5] = 900
    second = write_workbook(tmp_path / "b.xlsx", SheetSpec(rows=rows)).read_bytes()
    checked = uploads.check_file(engine, analyst, "b.xlsx", second, 2**20)
    changes = {(d["change"], d["field"]) for d in checked.diff}
    assert ("added", None) in changes and ("changed", "service_area_m2") in changes
    changed = next(d for d in checked.diff if d["field"] == "service_area_m2")
    assert (changed["old"], changed["new"]) == (600, 900)
    from dashboard.upload_view import render_checked
    shown = text_of(render_checked(checked, analyst, "en"))
    assert "600 → 900" in shown and "added" in shown


def test_an_analyst_cannot_submit_another_countys_return(engine, tmp_path):
    analyst = web_user(engine, "ana", "analyst", "450981")
    admin = web_user(engine, "adm", "admin")
    rong = write_workbook(tmp_path / "rong.xlsx", SheetSpec(rows=standard_rows("450921", 3),
                                                           title=[["填报单位：容县", "报告期：2015年"]])).read_bytes()
    checked = uploads.check_file(engine, analyst, "rong.xlsx", rong, 2**20)
    assert checked.status == "forbidden" and checked.token is None and not checked.can_submit
    before = table_counts(engine)
    # Even with a token of the file (stashed for this analyst by other means), the submission is refused.
    token = uploads.stash(engine, int(analyst.id), "rong.xlsx", rong)
    assert uploads.submit_file(engine, analyst, token).status == "forbidden"
    assert table_counts(engine) == before
    # A token belongs to the user who uploaded: another user's session cannot use it.
    assert uploads.submit_file(engine, admin, token).status == "expired"
    assert table_counts(engine) == before
    # An admin may upload for any county.
    assert uploads.check_file(engine, admin, "rong.xlsx", rong, 2**20).status == "valid"


def test_a_checked_file_waits_in_the_database_for_any_server_until_it_expires(engine, db_url, beiliu):
    analyst = web_user(engine, "ana", "analyst", "450981")
    checked = uploads.check_file(engine, analyst, "北流市_2015.xlsx", beiliu, 2**20)
    # Another web server or job worker (its own engine, no shared folder) submits what this one checked.
    other_server = make_engine(db_url)
    assert uploads.unstash(other_server, checked.token, int(analyst.id)) == ("北流市_2015.xlsx", beiliu)
    with engine.begin() as conn:
        conn.execute(update(upload_waiting).values(expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    assert uploads.submit_file(other_server, analyst, checked.token).status == "expired"
    assert table_counts(engine)["submission"] == 0
    # The next check forgets expired files.
    uploads.check_file(engine, analyst, "again.xlsx", beiliu, 2**20)
    with engine.connect() as conn:
        assert conn.execute(select(upload_waiting.c.file_name)).scalars().all() == ["again.xlsx"]
    other_server.dispose()


def test_viewers_can_neither_check_nor_submit(engine, tmp_path, beiliu):
    viewer = web_user(engine, "view", "viewer")
    from dashboard.upload_view import accept_drop, check_files
    assert accept_drop(engine, viewer, ["data:;base64," + base64.b64encode(beiliu).decode()], ["x.xlsx"]) == []
    shown = check_files(engine, viewer, [{"file": "x.xlsx", "token": "any"}], "zh")
    assert "无权" in text_of(shown[0])
    assert uploads.submit_file(engine, viewer, "anything").status == "forbidden"
    assert table_counts(engine)["submission"] == 0


def test_bad_files_are_named_not_loaded(engine, tmp_path):
    analyst = web_user(engine, "ana", "analyst", "450981")
    assert uploads.check_file(engine, analyst, "notes.pdf", b"%PDF", 2**20).status == "not-xlsx"
    assert uploads.check_file(engine, analyst, "big.xlsx", b"x" * 100, 10).status == "too-big"
    # What the browser held back as too big, named with its size rounded up (never shown as the limit itself).
    from dashboard.upload_view import render_too_big
    shown = render_too_big([{"name": "C:\\x\\大.xlsx", "size": 40 * 2**20 + 1}, "junk"], "en")
    assert [a.children for a in shown] == ["大.xlsx (40.1 MB) is over the limit of 40 MB per file and was not uploaded."]
    assert render_too_big("junk", "zh") == []
    junk = uploads.check_file(engine, analyst, "../../etc/passwd.xlsx", b"not a zip", 2**20)
    assert junk.status == "rejected" and junk.file == "passwd.xlsx" and junk.problems[0]["code"] == "not-a-workbook"
    assert uploads.decode("data:x;base64,!!!") is None
    assert uploads.display_name("C:\\Users\\x\\报表\u202e.xlsx") == "报表.xlsx"
    assert table_counts(engine)["submission"] == 0


def test_admin_approves_returns_publishes_and_manages_users(engine, tmp_path, beiliu):
    admin = web_user(engine, "adm", "admin")
    analyst = web_user(engine, "ana", "analyst", "450981")
    checked = uploads.check_file(engine, analyst, "a.xlsx", beiliu, 2**20)
    sid = uploads.submit_file(engine, analyst, checked.token).submission_id
    assert admin_actions.review(engine, analyst, sid, "approve", None)[1] == "forbidden"
    assert admin_actions.review(engine, admin, sid, "return", "  ")[1] == "need_comment"
    assert admin_actions.review(engine, admin, sid, "return", "请补充网格数")[0]
    subs = queries.submissions(engine)
    assert subs.loc[0, "status"] == "returned" and subs.loc[0, "comment"] == "请补充网格数"
    # A return sent back stays so: the county submits it again, and that one is approved.
    assert admin_actions.review(engine, admin, sid, "approve", None)[:2] == (False, "nothing_awaiting")
    again = uploads.submit_file(engine, analyst, uploads.check_file(engine, analyst, "a.xlsx", beiliu, 2**20).token)
    assert again.status == "loaded" and again.submission_id != sid
    assert admin_actions.review(engine, admin, again.submission_id, "approve", None)[:2] == (True, "approved_ok")
    ok, key, values = admin_actions.publish_period(engine, admin, "2015")
    assert not ok and key == "publish_missing" and len(values["counties"]) == 6
    assert admin_actions.create_user(engine, admin, "new", "short", "viewer", None)[0] is False
    assert admin_actions.create_user(engine, admin, "new", PASSWORD, "viewer", None)[:2] == (True, "user_added")
    assert admin_actions.set_user_disabled(engine, admin, "adm", True)[1] == "not_self"
    assert admin_actions.set_user_disabled(engine, admin, "new", True)[0]
    assert admin_actions.create_user(engine, analyst, "x", PASSWORD, "admin", None)[1] == "forbidden"
    assert {"approve", "return", "user-add", "user-disable"} <= set(events(engine)["action"])


@pytest.fixture
def sample_copy(sample_db_url, tmp_path):
    target = tmp_path / "copy.db"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}"


def _download_bytes(sent: dict) -> bytes:
    return base64.b64decode(sent["content"]) if sent.get("base64") else sent["content"].encode()


def exported_by_a_viewer(database_url, tmp_path, *choices) -> tuple:
    """(engine, the download's bytes) of the export page's callback for a viewer: periods, levels, indicators,
    format, basis."""
    app = create_app(database_url, basis="current", secret_key="k", cache_dir=tmp_path)
    engine = app.server.config["SHEQU_ENGINE"]
    viewer = web_user(engine, "view", "viewer")
    with app.server.test_request_context("/"):
        sent = sys.modules["dashboard.pages.export"].export_file(engine, viewer, *choices)
    return engine, _download_bytes(sent)


def test_exported_workbook_holds_the_numbers_of_shequ_indicators(sample_copy, tmp_path):
    engine, content = exported_by_a_viewer(sample_copy, tmp_path, ["2015"], ["city", "county"], None, "xlsx",
                                           "current")
    book = openpyxl.load_workbook(io.BytesIO(content))
    expected = queries.indicator_values(engine, "current", period="2015")
    for level, sheet in (("city", "全市"), ("county", "县（市、区）")):
        ws = book[sheet]
        head = [c.value for c in ws[1]]
        from etl.config import indicators
        names = {f"{i.name_zh}（": i.id for i in indicators()}
        col = {names[next(k for k in names if h.startswith(k))]: j for j, h in enumerate(head) if j >= 3}
        got = {(r[1], ind): r[j] for r in ws.iter_rows(min_row=2, values_only=True) for ind, j in col.items()}
        want = expected[expected["level"] == level]
        assert len(want) > 10
        for row in want.itertuples():
            value = got[(row.area_code, row.indicator)]
            assert (value is None and pd.isna(row.value)) or value == pytest.approx(row.value), (row.area_code,
                                                                                                 row.indicator)
    assert "export" in set(events(engine)["action"])


def test_csv_export_and_the_community_grid_neutralise_formulas(sample_copy, tmp_path):
    _engine, content = exported_by_a_viewer(sample_copy, tmp_path, ["2015"], ["city"], ["area_ge_500"], "csv",
                                            "current")
    text = content.decode("utf-8")
    assert text.startswith("\ufeff") and ",area_ge_500," in text and "127" in text
    communities = sys.modules["dashboard.pages.communities"]
    rows = [{"community_name": "=HYPERLINK(\"http://x\")", "township": "+1", "county": "@SUM(A1)",
             "leaders": "<script>alert(1)</script>", "community_code": "-450902001001"}]
    csv_text = communities.rows_csv(rows, "zh").decode("utf-8")
    assert "'=HYPERLINK" in csv_text and "'+1" in csv_text and "'@SUM" in csv_text and "'-450902001001" in csv_text
    assert "<script>alert(1)</script>" in csv_text      # text stays text in a CSV


def test_the_community_csv_holds_every_matching_row_in_the_grids_order(sample_copy, tmp_path):
    from flask_login import login_user
    app = create_app(sample_copy, basis="current", secret_key="k", cache_dir=tmp_path)
    engine = app.server.config["SHEQU_ENGINE"]
    viewer = web_user(engine, "view", "viewer")
    communities = sys.modules["dashboard.pages.communities"]
    # The grid has loaded one block of 10 rows, sorted by area; the CSV is every matching row in that order.
    request = {"startRow": 0, "endRow": 10, "sortModel": [{"colId": "service_area_m2", "sort": "asc"}],
               "filterModel": {}}
    with app.server.test_request_context("/"):
        login_user(viewer)
        answer, _count = communities.grid_block(request, "?county=450902&period=2015")
        sent = communities.export_csv(1, request, "?county=450902&period=2015")
    import csv
    from dashboard.i18n import t
    header, *body = list(csv.reader(io.StringIO(_download_bytes(sent).decode("utf-8").removeprefix("\ufeff"))))
    area = header.index(t("service_area_m2", "zh"))
    assert len(answer["rowData"]) == 10 and len(body) == answer["rowCount"] > 10
    assert all(row[header.index("代码")].startswith("450902") for row in body)
    areas = [float(row[area]) for row in body if row[area]]
    assert areas == sorted(areas)
    assert [row[header.index("代码")] for row in body[:10]] == [r["community_code"] for r in answer["rowData"]]
    audit = events(engine)
    detail = json.loads(audit[audit["action"] == "export"]["detail"].iloc[-1])
    assert detail["what"] == "communities" and detail["rows"] == len(body) and "county=450902" in detail["filters"]


def test_viewer_sees_a_refusal_on_upload_and_admin_layouts(engine, db_url, tmp_path):
    from flask_login import login_user
    app = create_app(db_url, secret_key="k", cache_dir=tmp_path)
    viewer = web_user(engine, "view", "viewer")
    for name in ("upload", "admin"):
        with app.server.test_request_context("/"):
            login_user(viewer)
            shown = text_of(sys.modules[f"dashboard.pages.{name}"].layout())
        assert "forbidden" in shown and "upload-files" not in shown and "admin-approve" not in shown
    with app.server.test_request_context("/"):
        login_user(viewer)
        nav = text_of(sys.modules["dashboard.pages.overview"].layout())
    assert "nav-upload" not in nav and "nav-admin" not in nav and "nav-export" in nav and "logout-button" in nav


def test_the_source_line_says_approved_or_provisional():
    assert figures.source_text("2015", "zh", "approved") == "来源：各县（市、区）报表，2015年，已审核"
    assert figures.source_text("2015", "zh", "current") == "来源：各县（市、区）报表，2015年，含未审核（临时）"
    assert figures.source_text("2015", "en", "current").endswith("including unapproved (provisional)")


def test_basis_comes_from_the_address_and_is_kept_in_links(sample_copy, tmp_path):
    from dashboard.components import make_view
    app = create_app(sample_copy, secret_key="k", cache_dir=tmp_path)
    with app.server.test_request_context("/"):
        approved = make_view("/", {})
        provisional = make_view("/", {"basis": "current"})
        odd = make_view("/", {"basis": "<script>"})
    assert approved.src.basis == "approved" and approved.period is None      # nothing approved in the sample
    assert provisional.src.basis == "current" and provisional.period == "2015"
    assert "basis=current" in provisional.link("/scorecard") and "basis" not in approved.link("/scorecard")
    assert odd.src.basis == "approved"


def approve_period(engine, period: str) -> None:
    from etl.store.load import set_statuses
    set_statuses(engine, queries.submissions(engine, period=period)["id"], "approved")


def test_the_overview_says_that_returns_await_approval(sample_copy, tmp_path):
    from flask_login import login_user
    app = create_app(sample_copy, secret_key="k", cache_dir=tmp_path)
    engine = app.server.config["SHEQU_ENGINE"]
    admin, viewer = web_user(engine, "adm", "admin"), web_user(engine, "view", "viewer")
    overview = sys.modules["dashboard.pages.overview"]

    def shown(who, **query) -> str:
        with app.server.test_request_context("/"):
            login_user(who)
            return text_of(overview.layout(**query))

    # 21 returns loaded, none approved: not "no returns — please upload", but that they await approval.
    page = shown(admin)
    assert "已报送 21 份报表，尚未审核" in page and '"/admin?period=2015"' in page and "请上传" not in page
    page = shown(viewer, lang="en")
    assert "Returns submitted and awaiting the city's approval: 21." in page
    assert "/admin" not in page and "basis=current" in page
    # 2015 approved: its figures, and for the admin how many of the other periods still wait, with a link.
    approve_period(engine, "2015")
    page = shown(admin)
    assert "有 14 份报表待审核" in page and '"/admin?period=2014"' in page and "kpi-" in page
    assert "awaiting-notice" not in shown(viewer)
    assert "Returns awaiting approval: 14" in shown(admin, lang="en")
    approve_period(engine, "2014")
    assert "2013年有 7 份报表待审核" in shown(admin)
    approve_period(engine, "2013")
    assert "awaiting-notice" not in shown(admin)


def test_the_review_panel_approves_a_period_only_once_confirmed(sample_copy, tmp_path):
    app = create_app(sample_copy, secret_key="k", cache_dir=tmp_path)
    engine = app.server.config["SHEQU_ENGINE"]
    admin = web_user(engine, "adm", "admin")
    page = sys.modules["dashboard.pages.admin"]
    waiting = sorted(int(i) for i in queries.submissions(engine, period="2015")["id"])
    # The click asks: the confirmation names the seven returns; nothing is approved yet.
    message, shown, words, pending, _pick = page.review_step(engine, admin, ids.ADMIN_APPROVE_ALL, "2015", None, None,
                                                             None, "zh")
    assert shown and pending == {"ids": waiting} and message is dash.no_update
    assert words.splitlines()[0] == "确定批准以下 7 份报表吗？" and "北流市 2015年 2015_450981_北流市.xlsx" in words
    assert set(queries.submissions(engine, period="2015")["status"]) == {"submitted"}
    assert events(engine).empty
    # OK approves exactly those, each in the log.
    message, shown, _words, pending, pick = page.review_step(engine, admin, ids.ADMIN_CONFIRM, "2015", None, None,
                                                             {"ids": waiting}, "zh")
    assert text_of(message).count("已批准 7 份报表") == 1 and not shown and pending is None and pick == []
    assert set(queries.submissions(engine, period="2015")["status"]) == {"approved"}
    logged = events(engine)
    assert list(logged["action"]) == ["approve"] * 7
    assert sorted(json.loads(d)["submission"] for d in logged["detail"]) == waiting
    # The lists, refreshed: 2015 no longer waits; the log says what happened in words.
    (_table, picks, periods, period, *_rest, audit_zh) = page.refreshed(engine, "zh", "2015")
    assert [p["value"] for p in periods] == ["2014", "2013"] and period == "2014"
    assert periods[0]["label"] == "2014年（7 份待审核）" and len(picks) == 14
    assert "批准" in text_of(audit_zh) and f"报表 #{waiting[-1]}；北流市；2015年" in text_of(audit_zh)
    audit_en = text_of(page.refreshed(engine, "en", None)[-1])
    assert "Approved" in audit_en and f"return #{waiting[-1]}; Beiliu City; 2015" in audit_en
    assert '"approve"' not in audit_en and "submission=" not in audit_en


def test_a_chosen_few_are_approved_and_those_no_longer_waiting_are_left_alone(sample_copy, tmp_path):
    app = create_app(sample_copy, secret_key="k", cache_dir=tmp_path)
    engine = app.server.config["SHEQU_ENGINE"]
    admin = web_user(engine, "adm", "admin")
    page = sys.modules["dashboard.pages.admin"]
    first, second = sorted(int(i) for i in queries.submissions(engine, period="2014")["id"])[:2]
    assert page.review_step(engine, admin, ids.ADMIN_APPROVE, None, [], None, None, "zh")[1] is False   # nothing chosen
    _m, shown, words, pending, _p = page.review_step(engine, admin, ids.ADMIN_APPROVE, None, [second, first], None,
                                                     None, "en")
    assert shown and pending == {"ids": [first, second]} and words.splitlines()[0] == "Approve the following returns (2)?"
    # Meanwhile another admin sends the first back: the confirmation approves the other one only.
    assert admin_actions.review(engine, admin, first, "return", "请补充")[0]
    message = page.review_step(engine, admin, ids.ADMIN_CONFIRM, None, None, None, pending, "en")[0]
    assert text_of(message).count(f"Returns approved (1): #{second}. Left as they were, no longer awaiting review: 1.") == 1
    statuses = queries.submissions(engine).set_index("id")["status"]
    assert (statuses[first], statuses[second]) == ("returned", "approved")
    # Sending back needs a comment, and takes the chosen returns at once.
    assert page.review_step(engine, admin, ids.ADMIN_RETURN, None, [first], " ", None, "zh")[0].children == \
        "退回时请填写意见。"


@pytest.mark.parametrize("action, detail, lang, said", [
    ("approve", {"submission": 12, "county": "450981", "period": "2016", "comment": None}, "zh",
     ("批准", "报表 #12；北流市；2016年")),
    ("return", {"submission": 12, "county": "450981", "period": "2016Q3", "comment": "请补充网格数"}, "en",
     ("Sent back", "return #12; Beiliu City; 2016 Q3; comment: 请补充网格数")),
    ("user-add", {"user": "ana", "role": "analyst", "county": "450981"}, "en",
     ("User added", "user ana; analyst; Beiliu City")),
    ("user-add", {"username_added": "ana", "role": "viewer", "county": None}, "zh", ("添加用户", "用户 ana；查看")),
    ("login-failed", {"reason": "locked"}, "en", ("Login failed", "account locked")),
    ("login-failed", {"reason": "throttled"}, "zh", ("登录失败", "尝试过于频繁，须等待")),
    ("end-sessions", {"user": "ana", "sessions": 2}, "en", ("Sessions ended", "user ana; sessions: 2")),
    ("dry-run", {"file": "a.xlsx", "status": "rejected", "county": "450981", "period": "2016", "errors": 2}, "zh",
     ("检查报表", "北流市；2016年；文件 a.xlsx；有错误；错误 2 个")),
    ("publish", {"period": "2015", "version": 2}, "en", ("Published", "2015; version 2")),
    ("export", {"format": "csv", "periods": ["2015"], "basis": "approved", "levels": ["city"], "indicator_ids": None,
                "values": 120}, "en", ("Exported", "CSV; Approved; 2015; City; values: 120")),
    ("export", {"what": "communities", "rows": 30, "filters": "?county=450902", "column_filters": {}, "sort": []},
     "zh", ("导出", "社区明细；30 行；筛选：?county=450902")),
])
def test_the_audit_log_is_said_in_words(action, detail, lang, said):
    from dashboard.audit_view import action_label, describe
    from etl.registry import default_registry
    counties = default_registry().counties
    assert (action_label(action, lang), describe(json.dumps(detail, ensure_ascii=False), lang, counties)) == said


def test_an_admin_sees_every_countys_returns_under_a_heading_that_says_so(engine, tmp_path, beiliu):
    from dashboard.data import source_for
    from dashboard.upload_view import my_returns, returns_title
    analyst, admin = web_user(engine, "ana", "analyst", "450981"), web_user(engine, "adm", "admin")
    rong = write_workbook(tmp_path / "rong.xlsx", SheetSpec(rows=standard_rows("450921", 3),
                                                           title=[["填报单位：容县", "报告期：2015年"]])).read_bytes()
    for who, name, content in ((analyst, "b.xlsx", beiliu), (admin, "rong.xlsx", rong)):
        uploads.submit_file(engine, who, uploads.check_file(engine, who, name, content, 2**20).token)
    src = source_for(engine)
    assert returns_title(analyst, "zh") == "本县报表" and returns_title(admin, "zh") == "各县（市、区）报表"
    assert returns_title(admin, "en") == "All counties' returns"
    assert "容县" not in text_of(my_returns(src, analyst, "zh"))
    assert "容县" in text_of(my_returns(src, admin, "zh")) and "北流市" in text_of(my_returns(src, admin, "zh"))


@pytest.mark.parametrize("name, password, role, county, zh, en", [
    ("x", "short", "viewer", None, "密码至少 8 个字符。", "The password needs at least 8 characters."),
    ("x", PASSWORD, "analyst", None, "填报用户须指定县（市、区）。", "An analyst needs a county."),
    (" ", PASSWORD, "viewer", None, "用户名须为 1 至 64 个字符。", "A user name has 1 to 64 characters."),
    ("adm", PASSWORD, "viewer", None, "用户 adm 已存在。", "User adm exists already."),
    ("x", PASSWORD, "boss", None, "请选择角色。", "Choose a role."),
])
def test_adding_a_user_says_what_is_wrong_in_the_pages_language(engine, db_url, tmp_path, name, password, role,
                                                                 county, zh, en):
    create_app(db_url, secret_key="k", cache_dir=tmp_path)
    page = sys.modules["dashboard.pages.admin"]
    admin = web_user(engine, "adm", "admin")
    result = admin_actions.create_user(engine, admin, name, password, role, county)
    assert (page.message(*result, "zh").children, page.message(*result, "en").children) == (zh, en)
    assert [u["username"] for u in list_users(engine)] == ["adm"]          # nobody was added
    assert page.message(*admin_actions.set_user_disabled(engine, admin, None, True), "zh").children == "请选择用户。"
    assert page.message(*admin_actions.publish_period(engine, admin, None), "en").children == "Choose a period."
    assert page.message(*admin_actions.set_user_disabled(engine, admin, "ghost", True), "en").children == \
        "There is no user ghost."


NEW_COUNTY_NAMES = {"450902": "青山区", "450903": "白水区", "450921": "金田县", "450922": "石门县",
                    "450923": "云岭县", "450924": "松涛县", "450981": "竹溪市"}


def other_registry(path) -> dict[str, str]:
    """The shipped registry's CSV with every county and community renamed (the codes kept); returns code → new
    community name."""
    import csv
    from importlib.resources import files
    shipped = files("etl").joinpath("data/yulin_communities.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(shipped)))
    assert {r["county_code"] for r in rows} == set(NEW_COUNTY_NAMES)
    for r in rows:
        r["county_name"] = NEW_COUNTY_NAMES[r["county_code"]]
        r["community_name"] = "新" + r["community_name"]
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return {r["community_code"]: r["community_name"] for r in rows}


def test_the_admin_and_upload_pages_name_the_counties_of_the_registry_in_the_database(db_url, tmp_path):
    from click.testing import CliRunner
    from flask_login import login_user
    from etl.cli import cli
    from dashboard.upload_view import accept_drop, check_files, dropped
    new_names = other_registry(tmp_path / "registry.csv")
    result = CliRunner().invoke(cli, ["--db", db_url, "init", "--registry", str(tmp_path / "registry.csv")])
    assert result.exit_code == 0, result.output
    app = create_app(db_url, secret_key="k", cache_dir=tmp_path / "cache")
    engine = app.server.config["SHEQU_ENGINE"]
    admin, analyst = web_user(engine, "adm", "admin"), web_user(engine, "ana", "analyst", "450981")
    rows = standard_rows("450981", 3)
    for row in rows:
        row[0], row[3] = "竹溪市", new_names[row[2]]
    book = write_workbook(tmp_path / "a.xlsx", SheetSpec(rows=rows, title=[["填报单位：竹溪市", "报告期：2015年"]]))
    content = "data:;base64," + base64.b64encode(book.read_bytes()).decode()
    drop = dropped(accept_drop(engine, analyst, [content], ["a.xlsx"]))
    checked = text_of(dash.html.Div(check_files(engine, analyst, drop, "zh")))
    assert "竹溪市" in checked and "北流市" not in checked
    token = uploads.check_file(engine, analyst, "a.xlsx", book.read_bytes(), 2**20).token
    assert uploads.submit_file(engine, analyst, token).status == "loaded"

    def shown(who, page: str) -> str:
        with app.server.test_request_context("/"):
            login_user(who)
            return text_of(sys.modules[f"dashboard.pages.{page}"].layout())

    upload_page, admin_page = shown(analyst, "upload"), shown(admin, "admin")
    assert "竹溪市" in upload_page and "北流市" not in upload_page
    # The returns, the users' counties, the new user's county choices and the audit log: the database's names.
    assert all(name in admin_page for name in NEW_COUNTY_NAMES.values())
    assert admin_page.count("竹溪市") >= 4
    assert not any(name in admin_page for name in ("北流市", "玉州区", "容县"))
