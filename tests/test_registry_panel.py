"""The admin page's registry panel (issue 16) over HTTP, as the browser asks: a change file's dry run shows every
problem by row and changes nothing; the file it passed is applied (admins only, the role checked again), audited
and listed; viewers and analysts are refused its callbacks."""
from __future__ import annotations

import json

import pytest
from dash_requests import client_login, data_url, outputs
from conftest import table_counts
from test_registry_changes import EACH_KIND, HEADER

from dashboard import auth, ids, registry_panel
from dashboard.app import create_app
from dashboard.audit_view import describe
from etl.store.audit import events
from etl.store.db import registry_from_db
from etl.store.registry_changes import change_sets
from etl.store.users import add_user

PASSWORD = "web-pass-123"
# An unknown code (row 2), and a merge of a 玉州区 community with a 北流市 one (rows 3 and 4).
BAD = HEADER + """\
2016,rename,450981999999,,不存在社区,,,,,
2016,merge,450981001005,450981001101,合并社区,,,,,
2016,merge,450902001001,450981001101,合并社区,,,,,
"""


@pytest.fixture
def app(engine, db_url, tmp_path):
    for name, role, county in (("adm", "admin", None), ("view", "viewer", None), ("ana", "analyst", "450981")):
        add_user(engine, name, PASSWORD, role, county)
    return create_app(db_url, secret_key="registry-tests", cache_dir=tmp_path / "cache")


def logged_in(app, username: str):
    client = app.server.test_client()
    return client, client_login(client, username, PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.7"})


def registry_spec(client) -> dict:
    deps = client.get("/_dash-dependencies").get_json()
    return next(d for d in deps if ids.REGISTRY_RESULT in d["output"])


def body(spec: dict, trigger: str, contents=None, name=None, token=None, lang="zh") -> dict:
    """The panel's one callback as the renderer sends it: a drop (contents) or a click on Apply (the token)."""
    values = {f"{ids.REGISTRY_UPLOAD}.contents": contents, f"{ids.REGISTRY_APPLY}.n_clicks": 1,
              f"{ids.REGISTRY_UPLOAD}.filename": name, f"{ids.REGISTRY_TOKEN}.data": token,
              f"{ids.ADMIN_LANG}.data": lang}

    def items(deps):
        return [dict(d, value=values[f"{d['id']}.{d['property']}"]) for d in deps]

    return {"output": spec["output"], "outputs": outputs(spec["output"]), "inputs": items(spec["inputs"]),
            "state": items(spec["state"]), "changedPropIds": [f"{trigger}"]}


def post(client, headers, request: dict) -> dict:
    answer = client.post("/_dash-update-component", json=request, headers=headers,
                         environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["response"]


def drop(client, headers, text: str, name: str, lang="zh") -> dict:
    request = body(registry_spec(client), f"{ids.REGISTRY_UPLOAD}.contents", data_url(text.encode()), name, lang=lang)
    return post(client, headers, request)


def shown(response: dict) -> str:
    return json.dumps(response[ids.REGISTRY_RESULT]["children"], ensure_ascii=False)


def test_viewers_and_analysts_are_refused_the_panels_callback(app):
    admin, admin_headers = logged_in(app, "adm")
    request = body(registry_spec(admin), f"{ids.REGISTRY_UPLOAD}.contents", data_url(EACH_KIND.encode()), "c.csv")
    for username in ("view", "ana"):
        client, headers = logged_in(app, username)
        assert client.post("/_dash-update-component", json=request, headers=headers).status_code == 403
    assert all(auth.CALLBACK_ROLES[i] == auth.ADMINS for i in (ids.REGISTRY_RESULT, ids.REGISTRY_TOKEN,
                                                               ids.REGISTRY_APPLY_BAR, ids.REGISTRY_SETS))


def test_a_bad_file_shows_every_problem_by_row_and_changes_nothing(app, engine):
    client, headers = logged_in(app, "adm")
    counts = table_counts(engine)
    response = drop(client, headers, BAD, "bad.csv")
    text = shown(response)
    assert "未通过检查：发现 3 个错误，整个文件未应用，名录未作任何更改" in text
    assert "2016年前的区划名录中没有代码为450981999999的社区" in text
    assert "合并为450981001101的社区分属不同县（市、区）：东成社区居委会（玉州区）、马岭社区居委会（北流市）" in text
    assert "原代码（old_code）" in text
    assert response[ids.REGISTRY_TOKEN]["data"] is None
    assert response[ids.REGISTRY_APPLY_BAR]["style"] == {"display": "none"}
    english = shown(drop(client, headers, BAD, "bad.csv", lang="en"))
    assert "Refused: 3 errors found" in english and "different counties" in english
    assert table_counts(engine) == counts and registry_from_db(engine).history is None and change_sets(engine).empty
    assert "registry-apply" not in set(events(engine)["action"])


def test_the_file_the_dry_run_passed_is_applied_audited_and_listed(app, engine):
    client, headers = logged_in(app, "adm")
    response = drop(client, headers, EACH_KIND, "changes_2016.csv")
    text = shown(response)
    assert "试运行通过（尚未应用）" in text and "更名 1、合并 2、拆分 2、新设 1、撤销 1、调整隶属 1" in text
    token = response[ids.REGISTRY_TOKEN]["data"]
    # row by row, each community by name too
    assert "450981001005 马岭社区居委会" in text and "450981002103 城南新区社区居委会 → 城南街道" in text
    assert isinstance(token, str) and response[ids.REGISTRY_APPLY_BAR]["style"] == {}
    assert "450981002103" not in registry_from_db(engine).by_code()          # a dry run only

    spec = registry_spec(client)
    applied = post(client, headers, body(spec, f"{ids.REGISTRY_APPLY}.n_clicks", token=token))
    assert "已应用：名录已按 changes_2016.csv 更新，自2016年起生效" in shown(applied)
    in_2016 = registry_from_db(engine).in_force("2016").by_code()
    assert in_2016["450981002002"].name == "永丰新村社区居委会" and "450981002103" in in_2016
    assert "450981002002" in registry_from_db(engine).in_force("2015").by_code()
    logged = events(engine).query("action == 'registry-apply'")
    assert len(logged) == 1 and logged.iloc[0]["username"] == "adm" and logged.iloc[0]["remote_addr"] == "10.0.0.7"
    listed = json.dumps(applied[ids.REGISTRY_SETS]["children"], ensure_ascii=False)
    assert "changes_2016.csv" in listed and "2016年" in listed and "adm" in listed
    assert "应用名录变更" in json.dumps(applied[ids.ADMIN_AUDIT]["children"], ensure_ascii=False)
    assert applied[ids.REGISTRY_TOKEN]["data"] is None

    # The same token again (a second click, a replay) applies nothing: the file is gone once applied.
    again = post(client, headers, body(spec, f"{ids.REGISTRY_APPLY}.n_clicks", token=token))
    assert "试运行已过期" in shown(again) and len(change_sets(engine)) == 1


def test_only_the_admin_who_ran_the_dry_run_applies_its_file(engine):
    admin = auth.WebUser(add_user(engine, "adm", PASSWORD, "admin"))
    other = auth.WebUser(add_user(engine, "adm2", PASSWORD, "admin"))
    viewer = auth.WebUser(add_user(engine, "view", PASSWORD, "viewer"))
    contents = data_url(EACH_KIND.encode())
    _shown, token, _style = registry_panel.dry_run(engine, admin, contents, "c.csv", "zh")
    assert registry_panel.apply(engine, viewer, token, "zh")[1] is False            # the role checked again
    assert registry_panel.apply(engine, other, token, "zh")[1] is False             # the token is the admin's own
    assert registry_panel.apply(engine, admin, "forged-token", "zh")[1] is False
    assert registry_panel.dry_run(engine, viewer, contents, "c.csv", "zh")[1] is None
    assert change_sets(engine).empty
    assert registry_panel.apply(engine, admin, token, "zh")[1] is True


@pytest.mark.parametrize("name, size, said", [
    ("changes.pdf", 100, "只接受 .csv 或 .xlsx"),
    ("changes.csv", 3 * 2**20, "超过 2 MB 的上限，未作任何更改"),
])
def test_a_wrong_or_too_big_file_is_named_and_never_read(engine, name, size, said):
    admin = auth.WebUser(add_user(engine, "adm", PASSWORD, "admin"))
    shown_, token, _ = registry_panel.dry_run(engine, admin, data_url(b"x" * size), name, "zh")
    assert said in json.dumps(shown_.to_plotly_json(), ensure_ascii=False, default=str) and token is None


def test_the_audit_log_says_a_registry_apply_in_words():
    detail = json.dumps({"file": "c.csv", "sets": [{"effective": "2016", "changes": {"merge": 2, "rename": 1}}],
                         "periods": ["2016"]})
    assert describe(detail, "zh", {}) == "文件 c.csv；2016年：更名 1、合并 2；2016年"
    assert describe(detail, "en", {}) == "file c.csv; 2016: rename 1, merge 2; 2016"


def test_applying_a_change_set_moves_the_data_version_the_dashboard_caches_by(engine):
    from etl.store.queries import data_version
    from etl.store.registry_changes import apply_change_file
    before = data_version(engine)
    assert apply_change_file(engine, EACH_KIND.encode(), "c.csv", "adm").applied
    assert data_version(engine) != before


@pytest.mark.parametrize("changes, periods, lang, said", [
    ({"merge": 2, "rename": 1}, ["2015", "2015Q3"], "zh", ("更名 1、合并 2", "2015年、2015年第三季度")),
    ({"move": 1}, [], "en", ("move 1", "none (no returns from then on)")),
])
def test_a_change_set_is_said_in_words(changes, periods, lang, said):
    assert (registry_panel.changes_in_words(changes, lang), registry_panel.periods_in_words(periods, lang)) == said


def test_an_xlsx_change_file_is_dry_run_too(engine):
    import csv
    import io
    import openpyxl
    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(EACH_KIND)):
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    admin = auth.WebUser(add_user(engine, "adm", PASSWORD, "admin"))
    shown_, token, style = registry_panel.dry_run(engine, admin, data_url(buffer.getvalue()), "变更.xlsx", "en")
    assert token and style == registry_panel.SHOWN
    assert "rename 1, merge 2" in json.dumps(shown_.to_plotly_json(), ensure_ascii=False, default=str)
