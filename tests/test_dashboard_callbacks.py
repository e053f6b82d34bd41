"""Page layouts and callbacks called as plain functions, in a request of an app over the real sample data."""
from __future__ import annotations

import json
import sys

import pytest

from dashboard.app import create_app


@pytest.fixture(scope="module")
def app(sample_db_url):
    # The sample database holds submitted returns only: read them on the provisional basis.
    return create_app(sample_db_url, basis="current", secret_key="callbacks")


def page(name: str):
    return sys.modules[f"dashboard.pages.{name}"]


def text_of(component) -> str:
    """Everything a layout would put on screen (and its props), as one string."""
    return json.dumps(component.to_plotly_json(), ensure_ascii=False,
                      default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o))


def render(app, name: str, cookies: dict | None = None, **query) -> str:
    with app.server.test_request_context("/", headers={"Cookie": "; ".join(f"{k}={v}" for k, v in
                                                                              (cookies or {}).items())}):
        return text_of(page(name).layout(**query))


def test_pages_are_registered_with_both_names(app):
    import dash
    pages = sorted(dash.page_registry.values(), key=lambda p: p["order"])
    assert [p["path"] for p in pages] == ["/", "/scorecard", "/counties", "/communities", "/leaders", "/reporting",
                                          "/upload", "/export", "/admin", "/briefing"]
    assert all(p["name"] and p["name_en"] for p in pages)


def test_overview_shows_the_2015_figures_by_default(app):
    shown = render(app, "overview")
    for expected in ("127个", "50个", "59项", "100%", "20 → 127 (×6.4)", "12 → 59 (×4.9)", "✓"):
        assert expected in shown
    assert "error-state" not in shown


def test_overview_for_2013_in_english(app):
    shown = render(app, "overview", period="2013", lang="en")
    assert '"kpi-value", "children": "20"' in shown.replace("'", '"') or '"children": "20"' in shown
    assert "Headline indicators" in shown and "12 items" in shown and "6" in shown
    assert "服务用房" not in shown.split("kpi-grid")[1].split("trends")[0]


@pytest.mark.parametrize("name, query", [
    ("overview", {"period": "1999", "indicator": "nonsense", "lang": "xx"}),
    ("scorecard", {"sort": "zzz", "period": ["2013", "2015"]}),
    ("counties", {"county": "999999"}),
    ("communities", {"kind": "x", "county": "1", "community": "nope", "q": "东"}),
    ("leaders", {"level": "nobody"}),
    ("reporting", {"period": "2015Q9"}),
])
def test_invalid_parameters_give_the_default_view_not_an_error(app, name, query):
    shown = render(app, name, **query)
    assert "error-state" not in shown and "Traceback" not in shown
    assert "2015年" in shown


def test_language_comes_from_the_cookie_when_not_in_the_address(app):
    assert "City overview" in render(app, "overview", cookies={"lang": "en"})
    assert "全市总览" in render(app, "overview", cookies={"lang": "en"}, lang="zh")


def test_scorecard_shows_weights_lights_and_ranks(app):
    shown = render(app, "scorecard", period="2014")
    assert "权重" in shown and "score-row-450902" in shown and "名次" in shown
    assert any(mark in shown for mark in ("✓", "!", "✗"))


def test_a_long_scorecard_is_paged_and_the_page_is_in_the_address(app, monkeypatch):
    import re

    def rows(shown):
        return re.findall(r"score-row-(\d+)", shown)

    everyone = rows(render(app, "scorecard", period="2015"))
    assert len(everyone) == 7 and "scorecard-pager" not in render(app, "scorecard", period="2015")
    # Seven counties on pages of three (a province's hundreds on pages of 50): rows 4–6 on page 2, in rank order.
    monkeypatch.setattr(page("scorecard"), "PAGE_ROWS", 3)
    second = render(app, "scorecard", period="2015", page="2", lang="en")
    assert rows(second) == everyone[3:6]
    assert "Rows 4–6 of 7" in second and "page=3" in second
    last = render(app, "scorecard", period="2015", page="3")
    assert rows(last) == everyone[6:] and "第 7–7 行，共 7 行" in last
    # A page that does not exist shows the first; a sort link starts again at page 1.
    assert rows(render(app, "scorecard", period="2015", page="99")) == everyone[:3]
    assert "page=" not in re.search(r'"href": "([^"]*sort=county[^"]*)"', second).group(1)


def test_counties_page_compares_with_the_city(app):
    shown = render(app, "counties", county="450921", period="2015", lang="en")
    assert "Rong County against the city, 2015" in shown and "county-histogram" in shown


def test_a_countys_long_shortfall_list_is_paged(app, monkeypatch):
    import re
    everyone = render(app, "counties", county="450921", period="2013", lang="en")
    total = int(re.search(r"(\d+) rows", everyone).group(1))
    assert total > 4 and "county-missing-pager" not in everyone
    monkeypatch.setattr(page("counties"), "PAGE_ROWS", 4)
    second = render(app, "counties", county="450921", period="2013", lang="en", page="2")
    assert f"Rows 5–8 of {total}" in second and f"{total} rows" in second and "county=450921" in second


def test_the_reporting_page_pages_its_matrix(app, monkeypatch):
    monkeypatch.setattr(page("reporting"), "PAGE_ROWS", 2)
    shown = render(app, "reporting", period="2015", lang="en", page="4")
    assert "reporting-matrix-pager" in shown and "Rows 7–7 of 7" in shown      # the seventh county alone
    # The sample raises no quality flag: their pager, and the links of each list keeping the other's page, are
    # tested over planted errors in tests/test_quality_flags.py.
    assert "No data-quality flags" in shown


def test_community_click_shows_history_with_lineage(app):
    with app.server.test_request_context("/"):
        panel, search = page("communities").show_history({"rowId": "450902001001", "colId": "community_name"}, "zh",
                                                         "?county=450902")
        shown = text_of(panel)
    assert search == "?county=450902&community=450902001001"
    for expected in ("2013年", "2014年", "2015年", ".xlsx", "社区基本情况", "数据来源"):
        assert expected in shown


def test_community_search_filters_the_grid(app):
    rows = None
    with app.server.test_request_context("/"):
        from dashboard import data
        src = data.source()
        rows = page("communities").filtered(data.community_table(src, "2015"), "450902", "urban", None)
    assert len(rows) and rows["county_code"].eq("450902").all() and rows["community_kind"].eq("城市社区").all()


def grid_request(app, search: str, start: int = 0, end: int = 100, sort=(), filters=None):
    """The rows callback's answer to the grid's request, as a logged-in viewer: (rowData, rowCount, count text)."""
    from flask_login import login_user
    from dashboard import auth
    from etl.store.users import User
    with app.server.test_request_context("/"):
        login_user(auth.WebUser(User(1, "viewer", "viewer", None, False)))
        answer, count = page("communities").grid_block(
            {"startRow": start, "endRow": end, "sortModel": [{"colId": c, "sort": d} for c, d in sort],
             "filterModel": filters or {}}, search)
    return answer["rowData"], answer["rowCount"], count


def test_the_community_layout_sends_no_rows_only_the_count(app):
    shown = render(app, "communities", period="2015")
    assert '"rowModelType": "infinite"' in shown and "rowData" not in shown and "共 184 行" in shown


def test_a_grid_request_gets_its_block_and_the_count_of_all(app, monkeypatch):
    first, total, count = grid_request(app, "?period=2015", 0, 50)
    assert total == 184 and count == "共 184 行" and len(first) == 50
    second, _, _ = grid_request(app, "?period=2015", 50, 100)
    last, _, _ = grid_request(app, "?period=2015", 150, 200)
    assert len(second) == 50 and len(last) == 34
    codes = [r["community_code"] for r in first + second]
    assert len(set(codes)) == 100 and codes == sorted(codes)        # the table's order: county, then code
    assert {"community_name", "county", "area_std", "weak", "leaders"} <= set(first[0])
    monkeypatch.setattr(page("communities"), "MAX_BLOCK_ROWS", 30)      # a request for everything gets a block
    assert len(grid_request(app, "?period=2015", 0, 10 ** 6)[0]) == 30


@pytest.mark.parametrize("search, check", [
    ("?period=2015&county=450902", lambda r: r["county"] == "玉州区"),
    ("?period=2015&kind=urban&lang=en", lambda r: r["kind"] == "Urban"),
    ("?period=2015&q=4509810", lambda r: r["community_code"].startswith("4509810")),
])
def test_the_address_filters_apply_to_the_grids_rows(app, search, check):
    rows, total, _ = grid_request(app, search, 0, 200)
    assert 0 < total < 184 and len(rows) == total and all(check(r) for r in rows)


def test_the_grid_is_sorted_on_the_server(app):
    rows, total, _ = grid_request(app, "?period=2015", 0, 200, sort=[("service_area_m2", "desc")])
    areas = [r["service_area_m2"] for r in rows if r["service_area_m2"] is not None]
    assert len(rows) == total and areas == sorted(areas, reverse=True) and areas[0] > areas[-1]
    assert all(r["service_area_m2"] is None for r in rows[len(areas):])          # unknown last
    top, _, _ = grid_request(app, "?period=2015", 0, 5, sort=[("service_area_m2", "desc")])
    assert [r["community_code"] for r in top] == [r["community_code"] for r in rows[:5]]
    names, _, _ = grid_request(app, "?period=2015&lang=en", 0, 200, sort=[("county", "asc"), ("community_code", "desc")])
    pairs = [(r["county"], r["community_code"]) for r in names]
    assert pairs == sorted(pairs, key=lambda p: (p[0], [-ord(c) for c in p[1]])) and pairs[0][0] == "Beiliu City"
    marks, _, _ = grid_request(app, "?period=2013", 0, 200, sort=[("area_std", "desc"), ("kind", "asc")])
    words = [r["area_std"] for r in marks]
    assert words == sorted(words, key=["✓ 达标", "✗ 未达标", "—"].index) and "✗ 未达标" in words
    same, _, _ = grid_request(app, "?period=2015", 0, 200, sort=[("nonsense", "asc")])      # unknown column: no sort
    assert [r["community_code"] for r in same] == sorted(r["community_code"] for r in same)


def test_the_grids_column_filters_apply_on_the_server(app):
    big, total, count = grid_request(app, "?period=2015", 0, 200,
                                     filters={"service_area_m2": {"filterType": "number", "type": "greaterThan",
                                                                  "filter": 500}})
    assert 0 < total < 184 and count == f"共 {total} 行" and all(r["service_area_m2"] > 500 for r in big)
    either, _, _ = grid_request(app, "?period=2015", 0, 200, filters={"community_code": {
        "filterType": "text", "operator": "OR", "conditions": [{"type": "startsWith", "filter": "450902"},
                                                               {"type": "startsWith", "filter": "450981"}]}})
    assert either and {r["community_code"][:6] for r in either} == {"450902", "450981"}


def test_leaders_page_shows_36_and_156(app):
    shown = render(app, "leaders", period="2015")
    assert "36人" in shown and "156人" in shown


def test_reporting_page_shows_every_county_and_period(app):
    shown = render(app, "reporting", lang="en")
    assert "Yuzhou District" in shown and "Beiliu City" in shown and shown.count("✓ Submitted") == 21


def test_health_answers_and_sets_the_language_cookie(app):
    client = app.server.test_client()
    assert client.get("/health").status_code == 200
    assert "lang=en" in client.get("/?lang=en").headers.get("Set-Cookie", "")


def test_health_reports_a_missing_database(tmp_path):
    broken = create_app(f"sqlite:///{tmp_path}/missing/dir/x.db")
    assert broken.server.test_client().get("/health").status_code == 503


def test_an_empty_database_shows_the_upload_hint(engine, db_url):
    empty = create_app(db_url)
    shown = render(empty, "overview")
    assert "本期尚无报表 — 请上传" in shown and "/upload" in shown
    assert "No returns for this period yet" in render(empty, "scorecard", lang="en")


def test_a_returned_submission_shows_the_citys_comment_on_reporting(db_url, engine, tmp_path):
    from etl.ingest import ingest_path
    from etl.store.load import set_status
    from returns import simple_return
    outcome = ingest_path(engine, simple_return(tmp_path / "r.xlsx"))
    set_status(engine, outcome.load.submission_id, "returned", "请补充经费来源数据")
    app = create_app(db_url, basis="current", secret_key="comments", cache_dir=tmp_path / "cache")
    shown = render(app, "reporting")
    assert "请补充经费来源数据" in shown and "已退回" in shown


def literal_ids(source: str) -> list[int]:
    """Lines where a component id is written as a literal: id="…", id=f"…", Output("…", …), {"type": "…"} as an id."""
    import ast
    literal = (ast.Constant, ast.JoinedStr)

    def is_literal(node) -> bool:
        if isinstance(node, ast.Dict):
            return any(isinstance(k, ast.Constant) and k.value == "type" and isinstance(v, literal)
                       for k, v in zip(node.keys, node.values))
        return isinstance(node, literal) and not (isinstance(node, ast.Constant) and node.value is None)

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg == "id" and is_literal(node.value):
            found.append(node.value.lineno)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Input", "Output", "State") \
                and node.args and is_literal(node.args[0]):
            found.append(node.lineno)
    return found


def test_every_component_id_of_the_dashboard_is_named_in_ids():
    from pathlib import Path
    root = Path(__file__).parents[1] / "dashboard"
    found = {str(path.relative_to(root)): literal_ids(path.read_text(encoding="utf-8"))
             for path in sorted(root.rglob("*.py")) if path.name != "ids.py"}
    assert {path: lines for path, lines in found.items() if lines} == {}


@pytest.mark.parametrize("source, lines", [
    ('html.Div(id="x")', [1]), ('html.Div(id=f"x-{n}")', [1]), ('Output("x", "children")', [1]),
    ('Input({"type": "x", "token": MATCH}, "n_clicks")', [1]), ('html.Div(id={"type": "x", "i": 1})', [1]),
    ('html.Div(id=ids.X)', []), ('Output({"type": ids.X, "token": MATCH}, "children")', []),
    ('t("ok", lang, id=number)', []), ('{"type": "line", "x0": 0}', []),
])
def test_literal_ids_are_found(source, lines):
    assert literal_ids(source) == lines
