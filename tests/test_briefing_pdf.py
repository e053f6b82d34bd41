"""The briefing as a PDF (dashboard/briefing_pdf.py): read back with poppler's pdftotext, pdffonts and pdfinfo — the
numbers of `shequ indicators` and of etl's scorecard, embedded fonts, A4, two to four pages, both languages; the
download behind the login, scoped to a county; `shequ briefing`. Page images go to test-artifacts/briefing/."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from dash_requests import client_login

from dashboard.briefing_pdf import briefing_filename, briefing_pdf
from dashboard.i18n import county_name, fmt_value
from dashboard.cli import cli  # etl.cli's group with the dashboard's commands (briefing)
from etl.compute.indicators import not_applicable
from etl.compute.scorecard import mark_not_applicable, scorecard
from etl.config import indicators, load_settings
from etl.ingest import ingest_path
from etl.read.problems import ShequError
from etl.store import queries
from etl.store.completeness import period_states
from etl.store.db import make_engine
from etl.store.setup import init_db
from etl.store.users import add_user

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "briefing"
NAMES = {"450902": "玉州区", "450903": "福绵区", "450921": "容县", "450922": "陆川县", "450923": "博白县",
         "450924": "兴业县", "450981": "北流市"}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
PASSWORD = "briefing-pass-123"


def text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    pages = ["-f", str(first), "-l", str(last or first)] if first else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def save(name: str, pdf: bytes) -> Path:
    """The PDF and its page images (60 dpi) in test-artifacts/briefing/, for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(pdf)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(ARTIFACTS / name)], check=True)
    return path


@pytest.fixture(scope="module")
def pdfs(sample_engine) -> dict[str, Path]:
    """The sample's 2015 briefings: the city's in Chinese and English, and Yuzhou District's (submitted returns
    count: the sample is loaded, not approved)."""
    made = {"city": briefing_pdf(sample_engine, period="2015", basis="current"),
            "city_en": briefing_pdf(sample_engine, period="2015", lang="en", basis="current"),
            "county": briefing_pdf(sample_engine, period="2015", county="450902", basis="current")}
    return {name: save(name, pdf) for name, pdf in made.items()}


def county_values(db_url: str, period: str) -> list[dict]:
    """`shequ indicators --level county` as JSON: the numbers a briefing must hold."""
    result = CliRunner().invoke(cli, ["--db", db_url, "indicators", "--level", "county", "--period", period,
                                      "--basis", "current", "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_city_briefing_holds_the_headline_figures_and_every_county(pdfs):
    page = text(pdfs["city"])
    assert "玉林市社区标准化建设简报，2015年" in page
    for figure in ("127个", "50个", "59项", "100%", "20 → 127 (×6.4)", "目标 59项 ✓ 达标"):
        assert figure in page, figure
    for name in NAMES.values():
        assert name in page
    first = text(pdfs["city"], 1)
    # Each county is named three times on the first page: a label on the map (drawn only when plotly.js had the
    # map's base layer, which it would otherwise fetch from its CDN), its bar in the ranking, its return's status.
    assert all(first.count(name) == 3 for name in NAMES.values()), first
    assert "计入本口径的报表 ✓ 7/7 完整" in first
    assert first.count("来源：各县（市、区）报表，2015年，含未审核（临时）") == 3     # two charts and the footer
    assert "第 1 页，共 3 页" in first or "第 1 页，共 2 页" in first or "第 1 页，共 4 页" in first
    assert "数据版本" in page and "生成于" in page


def test_the_scorecard_is_in_etl_s_order_with_its_scores(pdfs, sample_engine):
    values = queries.indicator_values(sample_engine, "current", level="county")
    incomplete = {s.period for s in period_states(sample_engine, "current") if not s.complete}
    card = scorecard(values, load_settings(), incomplete)
    rows = queries.community_rows(sample_engine, "current", ["2015"], lineage=False)
    card = mark_not_applicable(card[card["period"] == "2015"], not_applicable(rows, queries.link_rows(sample_engine, "current", ["2015"])))
    expected = [NAMES[c] for c in card.sort_values(["rank", "area_code"])["area_code"]]
    page = text(pdfs["city"], 2)
    table = page[page.index("绩效考核"):page.index("未达标社区数")]
    lines = [line.split()[0] for line in table.splitlines() if line.split() and line.split()[0] in NAMES.values()]
    assert lines == expected
    for line, score, rank in zip(lines, card.sort_values(["rank", "area_code"])["score"], range(1, 8)):
        row = next(r for r in table.splitlines() if r.split() and r.split()[0] == line)
        assert f"{score:.1f}" in row


def test_a_county_briefing_holds_its_own_figures_beside_the_city_s(pdfs, sample_db_url, sample_engine):
    page = text(pdfs["county"])
    assert "玉林市玉州区社区标准化建设简报，2015年" in page
    mine = {r["indicator"]: r["value"] for r in county_values(sample_db_url, "2015") if r["area_code"] == "450902"}
    first = text(pdfs["county"], 1)
    for ind in [i for i in indicators() if i.headline]:
        assert fmt_value(mine[ind.id], ind.unit, "zh") in first, ind.id
    assert "全市 127个" in first            # the city's value beside the county's
    from dashboard import data
    rows = data.community_table(data.source_for(sample_engine, "current"), "2015", "450902")
    missing = int(rows[[k for k, _ in data.STANDARDS]].eq(False).any(axis=1).sum())
    assert f"未达标社区（{missing}）" in page            # its own communities missing a standard, listed


def test_the_english_briefing_is_in_english(pdfs):
    page = text(pdfs["city_en"])
    assert "Yulin community standardisation briefing, 2015" in page
    for name in NAMES:
        assert county_name(name, NAMES[name], "en") in page
    assert "20 → 127 (×6.4)" in page and "On target" in page
    # Chinese words only in proper names without an English form (communities, townships, leaders' names): the
    # first page (title, KPIs, map, ranking) and every heading and label are English.
    assert not CJK.search(text(pdfs["city_en"], 1))
    for word in ("简报", "达标", "全市", "指标", "来源", "县（市、区）"):
        assert word not in page


@pytest.mark.parametrize("name", ["city", "city_en", "county"])
def test_fonts_are_embedded_on_two_to_four_a4_pages(pdfs, name):
    fonts = subprocess.run(["pdffonts", str(pdfs[name])], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), fonts       # the emb column
    meta = info(pdfs[name])
    assert 2 <= int(meta["Pages"]) <= 4
    assert "(A4)" in meta["Page size"]
    assert (ARTIFACTS / f"{name}-1.png").exists()


def test_charts_are_vector_graphics_not_pictures(pdfs):
    listed = subprocess.run(["pdfimages", "-list", str(pdfs["city"])], capture_output=True, text=True).stdout
    assert len(listed.splitlines()) <= 2, listed                 # the header lines only: no raster image


def test_an_incomplete_period_never_passes_for_the_city(tmp_path, sample_paths):
    engine = make_engine(f"sqlite:///{tmp_path / 'part.db'}")
    init_db(engine)
    for path in [p for p in sample_paths if p.name.startswith("2014")] + \
            [p for p in sample_paths if p.name.startswith("2015_450981")]:
        assert ingest_path(engine, path).status == "loaded"
    pdf = save("incomplete", briefing_pdf(engine, period="2015", basis="current"))
    first = text(pdf, 1)
    assert "不完整 1/7" in first and "本期数据不完整：已报送 1/7 个县（市、区）。" in first
    cards = first[first.index("核心指标"):first.index("分布")]
    assert "达标" not in cards                   # no city value of a part of the city is "on target"
    assert "较基期" in cards and "→" not in cards  # and none is compared with the baseline
    county = text(save("incomplete_county", briefing_pdf(engine, period="2015", county="450981", basis="current")), 1)
    assert "全市 34个 不完整 1/7" in county       # the city's figure beside the county's: a part of the city
    engine.dispose()


def test_an_unknown_period_or_county_is_a_clear_error(sample_engine):
    with pytest.raises(ShequError, match="no data for period '2030'"):
        briefing_pdf(sample_engine, period="2030", basis="current")
    with pytest.raises(ShequError, match="'450101' is not a county of 玉林市"):
        briefing_pdf(sample_engine, county="450101", basis="current")


def test_without_chromium_the_error_says_what_to_install(sample_engine, monkeypatch):
    monkeypatch.setenv("SHEQU_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(ShequError, match="apt-get install chromium fonts-noto-cjk"):
        briefing_pdf(sample_engine, period="2015", basis="current")


def test_the_city_figures_are_those_of_shequ_indicators(pdfs, sample_db_url):
    result = CliRunner().invoke(cli, ["--db", sample_db_url, "indicators", "--level", "city", "--period", "2015",
                                      "--basis", "current", "--format", "json"], catch_exceptions=False)
    city = {r["indicator"]: r["value"] for r in json.loads(result.output)}
    first = text(pdfs["city"], 1)
    for ind in [i for i in indicators() if i.headline]:
        assert fmt_value(city[ind.id], ind.unit, "zh") in first, ind.id


@pytest.mark.parametrize("args, expected", [
    (("玉林市", "2015"), "玉林市_2015_简报.pdf"),
    (("玉林市", "2015Q3", "玉州区"), "玉林市_玉州区_2015Q3_简报.pdf"),
    (("Yulin", "2015", "Yuzhou District", "en"), "Yulin_Yuzhou_District_2015_briefing.pdf"),
])
def test_the_file_name(args, expected):
    assert briefing_filename(*args) == expected


def test_shequ_briefing_writes_the_pdf_and_refuses_an_unknown_period(sample_db_url, tmp_path):
    out = tmp_path / "b.pdf"
    result = CliRunner().invoke(cli, ["--db", sample_db_url, "briefing", str(out), "--period", "2015",
                                      "--county", "玉州区", "--basis", "current", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF") and "Yuzhou District, Yulin" in text(out, 1)
    bad = CliRunner().invoke(cli, ["--db", sample_db_url, "briefing", str(out), "--period", "2030", "--basis", "current"])
    assert bad.exit_code != 0 and "no data for period '2030'" in bad.output
    bad = CliRunner().invoke(cli, ["--db", sample_db_url, "briefing", str(out), "--county", "南宁"])
    assert bad.exit_code != 0 and "not a county" in bad.output


@pytest.fixture
def web(sample_db_url, tmp_path):
    """The dashboard over a copy of the sample, with an analyst of Yuzhou District and a city viewer."""
    from dashboard.app import create_app
    db = tmp_path / "web.db"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), db)
    engine = make_engine(f"sqlite:///{db}")
    add_user(engine, "yuzhou", PASSWORD, "analyst", "450902")
    add_user(engine, "city", PASSWORD, "viewer")
    app = create_app(f"sqlite:///{db}", secret_key="test", cache_dir=tmp_path / "cache")
    yield app.server
    engine.dispose()


def test_the_download_is_behind_the_login_and_a_county_analyst_gets_only_their_own(web):
    client = web.test_client()
    assert client.get("/briefing.pdf?period=2015").status_code == 302            # to the login
    client_login(client, "yuzhou", PASSWORD)
    city = client.get("/briefing.pdf?period=2015&basis=current")
    assert city.status_code == 200 and city.mimetype == "application/pdf" and city.data.startswith(b"%PDF")
    assert "filename*=UTF-8''%E7%8E%89%E6%9E%97%E5%B8%82_2015_%E7%AE%80%E6%8A%A5.pdf" in city.headers["Content-Disposition"]
    own = client.get("/briefing.pdf?period=2015&basis=current&county=450902")
    assert own.status_code == 200 and own.data.startswith(b"%PDF")
    assert client.get("/briefing.pdf?period=2015&basis=current&county=450903").status_code == 403
    other = web.test_client()
    client_login(other, "city", PASSWORD)
    assert other.get("/briefing.pdf?period=2015&basis=current&county=450903&lang=en").status_code == 200
    assert other.get("/briefing.pdf?period=2015&county=999999").status_code == 404


def test_the_briefing_page_has_the_download_button_and_each_county_s(web):
    import sys
    with web.test_request_context("/"):
        layout = sys.modules["dashboard.pages.briefing"].layout(period="2015", lang="en", basis="current")
    shown = json.dumps(layout, default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o))
    assert "Download PDF" in shown and '"/briefing.pdf?period=2015&lang=en&basis=current"' in shown
    assert "/briefing.pdf?period=2015&county=450902&lang=en&basis=current" in shown and "Yuzhou District" in shown


def test_the_briefing_reads_the_same_figures_on_each_database(engine, sample_paths):
    """The page that is printed, from SQLite and from PostgreSQL: the 2015 returns' figures, as shequ indicators
    computes them (the print itself does not depend on the database)."""
    from dashboard.briefing_pdf import briefing_html
    for path in [p for p in sample_paths if p.name.startswith("2015")]:
        assert ingest_path(engine, path).status == "loaded"
    page = briefing_html(engine, period="2015", basis="current")
    city = queries.indicator_values(engine, "current", "2015", "city").set_index("indicator")["value"]
    for ind in [i for i in indicators() if i.headline]:
        assert f'<div class="kpi-value">{fmt_value(city[ind.id], ind.unit, "zh")}</div>' in page, ind.id
    assert "127个" in page and all(name in page for name in NAMES.values())


def test_what_a_clerk_typed_is_printed_as_text_never_run_as_markup(tmp_path):
    """A leader's name and post are free text from a return: markup in them is printed as typed, and a script in
    them never runs in the page Chromium prints (it would rewrite the briefing)."""
    from returns import SheetSpec, communities, leader_sheet, standard_rows, write_workbook
    engine = make_engine(f"sqlite:///{tmp_path / 'hostile.db'}")
    init_db(engine)
    name = "<b>王</b><script>document.body.innerHTML='HACKED'</script>"
    post = "<img src=x onerror=\"document.body.innerHTML='HACKED'\">"
    links = [[name, "厅级", post, c.code, c.name] for c in communities(n=4)]          # four: outside the 1–3 rule
    path = write_workbook(tmp_path / "r.xlsx", SheetSpec(rows=standard_rows(n=4, weak="是")), leader_sheet(links))
    assert ingest_path(engine, path).status == "loaded"
    printed = text(save("hostile_markup", briefing_pdf(engine, period="2015", basis="current")))
    assert "核心指标" in printed and "第 2 页" in printed          # the briefing as made, not rewritten by a script
    assert printed.count("HACKED") == 2                                # only as the typed text, in name and post
    assert "<b>王</b>" in printed and "<script>document.body.innerHTML" in printed and "<img src=x" in printed
    engine.dispose()


def test_chromium_writes_nothing_into_the_service_user_s_home(sample_engine, tmp_path, monkeypatch):
    """A server's user may have no home, or one systemd hides (ProtectHome): Chromium's config, crash reports and
    caches go in the print's own folder, removed after it — the home is left as it was."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert briefing_pdf(sample_engine, period="2015", basis="current").startswith(b"%PDF")
    assert list(home.iterdir()) == []
