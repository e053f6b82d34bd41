"""The command line of spec/cli.md, run as a user runs it: real files, a real database, exit codes, output."""
from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys

import openpyxl
import pytest
from click.testing import CliRunner

from etl.cli import cli
from returns import simple_return, standard_rows

ARTICLE = {("2013", "area_ge_500"): 20, ("2015", "area_ge_500"): 127, ("2013", "area_ge_1000"): 6,
           ("2015", "area_ge_1000"): 50, ("2013", "services_mean"): 12, ("2015", "services_mean"): 59,
           ("2015", "urban_area_ge_500_pct"): 100, ("2015", "township_area_ge_300_pct"): 100,
           ("2015", "grid_coverage_pct"): 100, ("2015", "weak_linked_pct"): 100, ("2015", "leaders_prefecture"): 36,
           ("2015", "leaders_county"): 156, ("2015", "leader_load_ok_pct"): 100, ("2013", "communities"): 184,
           ("2015", "communities"): 184, ("2013", "reporting_rate_pct"): 100, ("2015", "reporting_rate_pct"): 100}


def run(db_url, *args, input=None):
    return CliRunner().invoke(cli, ["--db", db_url, *map(str, args)], input=input, catch_exceptions=False)


@pytest.fixture
def db(db_url):
    assert run(db_url, "init").exit_code == 0
    return db_url


def test_ingest_of_the_sample_gives_the_articles_figures(db, sample_paths):
    result = run(db, "ingest", *sample_paths)
    assert result.exit_code == 0, result.output
    out = run(db, "indicators", "--format", "csv").output
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["period", "area_code", "area_name", "indicator", "value"]
    city = {(r["period"], r["indicator"]): float(r["value"]) if r["value"] else None
            for r in rows if r["area_code"] == "450900"}
    assert {k: city[k] for k in ARTICLE} == pytest.approx(ARTICLE)
    assert city[("2013", "weak_linked_pct")] is None           # 2013's returns had no leader sheet: blank, not 0
    assert all(r["area_name"] for r in rows)


def test_ingest_json_is_one_document_a_script_can_parse(db, tmp_path):
    good = simple_return(tmp_path / "good.xlsx")
    bad_rows = standard_rows()
    bad_rows[0][6] = 99
    bad = simple_return(tmp_path / "bad.xlsx", rows=bad_rows)
    result = run(db, "ingest", good, bad, "--format", "json")
    assert result.exit_code == 1                      # one rejected; the other still loads
    doc = json.loads(result.output)
    by_file = {f["file"]: f for f in doc["files"]}
    assert by_file["good.xlsx"]["status"] == "loaded" and by_file["good.xlsx"]["county"] == "450981"
    assert by_file["good.xlsx"]["counts"]["communities"] == 3
    problem = [p for p in by_file["bad.xlsx"]["problems"] if p["severity"] == "error"][0]
    assert {k: problem[k] for k in ("file", "sheet", "row", "column", "code")} == {
        "file": "bad.xlsx", "sheet": "社区基本情况", "row": 4, "column": "G", "code": "out-of-range"}
    assert problem["message_zh"] and problem["message_en"]
    again = json.loads(run(db, "ingest", good, "--format", "json").output)
    assert again["files"][0]["status"] == "unchanged" and again["unchanged"] == 1


def test_text_output_lists_every_problem_with_where_it_is(db, tmp_path):
    rows = standard_rows()
    rows[1][5] = "abc"
    result = run(db, "ingest", simple_return(tmp_path / "r.xlsx", rows=rows))
    assert result.exit_code == 1
    assert "r.xlsx: rejected" in result.output
    assert "r.xlsx, 社区基本情况, 5, F, wrong-type, error" in result.output


def test_dry_run_loads_nothing(db, tmp_path):
    result = run(db, "ingest", "--dry-run", simple_return(tmp_path / "r.xlsx"))
    assert result.exit_code == 0 and "valid" in result.output
    assert "(none)" in run(db, "submissions").output


def test_usage_errors_exit_2(db, tmp_path):
    assert run(db, "ingest", tmp_path / "missing.xlsx").exit_code == 2
    assert run(db, "ingest", simple_return(tmp_path / "r.xlsx"), "--period", "someday").exit_code == 2


def test_county_and_period_options_are_checked_against_the_workbook(db, tmp_path):
    path = simple_return(tmp_path / "r.xlsx")
    assert run(db, "ingest", path, "--county", "450902").exit_code == 1
    assert run(db, "ingest", path, "--county", "北流市", "--period", "2015").exit_code == 0


def test_a_newer_return_supersedes_and_both_stay(db, tmp_path):
    first = simple_return(tmp_path / "a.xlsx", rows=standard_rows(area=400))
    second = simple_return(tmp_path / "b.xlsx", rows=standard_rows(area=900))
    assert run(db, "ingest", first).exit_code == 0 and run(db, "ingest", second).exit_code == 0
    subs = json.loads(run(db, "submissions", "--format", "json").output)
    assert [(s["file_name"], s["status"]) for s in subs] == [("b.xlsx", "submitted"), ("a.xlsx", "superseded")]
    values = list(csv.DictReader(io.StringIO(run(db, "indicators", "--level", "county", "--format", "csv").output)))
    mean = [float(v["value"]) for v in values if v["area_code"] == "450981" and v["indicator"] == "area_mean_m2"]
    assert mean == [900.0]


def test_scorecard_ranks_counties(db, sample_paths):
    run(db, "ingest", *sample_paths)
    card = json.loads(run(db, "scorecard", "--period", "2015", "--format", "json").output)
    assert sorted(c["rank"] for c in card) == [1, 2, 3, 4, 5, 6, 7]
    assert [c["score"] for c in card] == sorted((c["score"] for c in card), reverse=True)
    assert all(95 < c["score"] <= 100 for c in card)
    assert all(c["services_mean_standing"] == "met" for c in card)
    early = json.loads(run(db, "scorecard", "--period", "2013", "--format", "json").output)
    assert all(c["score"] < 60 for c in early) and {c["rank"] for c in early} >= {1, 2}


def test_template_filled_programmatically_comes_back_from_the_database(db, tmp_path):
    out = tmp_path / "t.xlsx"
    assert run(db, "template", out, "--county", "450921", "--period", "2015Q3").exit_code == 0
    book = openpyxl.load_workbook(out)
    sheet = book.worksheets[0]
    header_row = next(r for r in range(1, 16) if sheet.cell(r, 4).value and "社区名称" in str(sheet.cell(r, 4).value)
                      or any("社区名称" == str(c.value) for c in sheet[r]))
    headers = {str(c.value): c.column for c in sheet[header_row] if c.value}
    filled = {}
    r = header_row + 1
    while sheet.cell(r, headers["社区代码"]).value:
        code = str(sheet.cell(r, headers["社区代码"]).value)
        area, items = 300 + r, r % 60
        sheet.cell(r, headers["服务用房面积（平方米）"]).value = area
        sheet.cell(r, headers["服务项目数（项）"]).value = items
        sheet.cell(r, headers["是否实行网格化管理"]).value = "是"
        sheet.cell(r, headers["网格数（个）"]).value = 3
        filled[code] = (area, items)
        r += 1
    book.save(out)
    result = run(db, "ingest", out, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["files"][0]["period"] == "2015Q3"
    from etl.store.db import make_engine
    from etl.store.queries import community_rows
    rows = community_rows(make_engine(db))
    assert {c: (a, i) for c, a, i in zip(rows["community_code"], rows["service_area_m2"], rows["service_items"])} \
        == filled
    assert len(filled) == 13                       # 容县's communities in the registry


def test_export_writes_xlsx_and_csv(db, sample_paths, tmp_path):
    run(db, "ingest", *sample_paths)
    assert run(db, "export", tmp_path / "i.xlsx").exit_code == 0
    assert run(db, "export", tmp_path / "i.csv", "--period", "2015").exit_code == 0
    book = openpyxl.load_workbook(tmp_path / "i.xlsx")
    assert book.sheetnames == ["全市", "县（市、区）", "社区", "考核评分", "指标说明"]
    city = book["全市"]
    heads = [c.value for c in city[1]]
    col = heads.index("服务用房500㎡以上社区数（个）") + 1
    values = {city.cell(r, 1).value: city.cell(r, col).value for r in range(2, city.max_row + 1)}
    assert values == {"2013年": 20, "2014年": 74, "2015年": 127}
    raw = (tmp_path / "i.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {r["period"] for r in rows} == {"2015"}


def test_a_database_without_tables_says_run_init(tmp_path):
    env = {**os.environ, "SHEQU_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    proc = subprocess.run([sys.executable, "-m", "etl", "submissions"], capture_output=True, text=True, env=env)
    assert proc.returncode == 1 and "shequ init" in proc.stderr and "Traceback" not in proc.stderr


def test_progress_bar_on_a_terminal(db, tmp_path):
    paths = [simple_return(tmp_path / f"r{i}.xlsx", rows=standard_rows(area=500 + i)) for i in range(3)]
    pid, fd = pty.fork()
    if pid == 0:   # the child: shequ with a terminal on stdout and stderr
        os.execv(sys.executable, [sys.executable, "-m", "etl", "--db", db, "ingest", *map(str, paths)])
    output = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    text = output.decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "ingesting" in text and "3/3" in text


def test_template_without_a_county_writes_one_per_county_for_this_year(db, tmp_path):
    from datetime import date
    result = run(db, "template", tmp_path / "模板.xlsx")
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.glob("模板_*.xlsx"))
    assert written == [f"模板_{c}.xlsx" for c in ("450902", "450903", "450921", "450922", "450923", "450924",
                                                   "450981")]
    sheet = openpyxl.load_workbook(tmp_path / "模板_450923.xlsx").worksheets[0]
    title = " ".join(str(c.value) for row in sheet.iter_rows(max_row=3) for c in row if c.value)
    assert "博白县" in title and f"{date.today().year}年" in title


def test_periods_say_which_are_complete_and_what_is_missing(db, sample_paths):
    """`shequ periods`: counties reported/expected per period and basis; one county's return is incomplete."""
    run(db, "ingest", *[p for p in sample_paths if p.name.startswith(("2013", "2014"))])
    run(db, "ingest", *[p for p in sample_paths if p.name.startswith("2015_4509")][:2])
    states = json.loads(run(db, "periods", "--format", "json").output)
    assert [(s["period"], s["expected"], s["reported_current"], s["state_current"], s["reported_approved"],
             s["state_approved"], s["published"]) for s in states] == [
        ("2013", 7, 7, "complete", 0, "incomplete", False), ("2014", 7, 7, "complete", 0, "incomplete", False),
        ("2015", 7, 2, "incomplete", 0, "incomplete", False)]
    assert states[2]["missing"] == "450921,450922,450923,450924,450981" and states[0]["missing"] == ""
    run(db, "approve", "--period", "2013", "--all")
    run(db, "publish", "2013")
    first = json.loads(run(db, "periods", "--format", "json").output)[0]
    assert (first["reported_approved"], first["state_approved"], first["published"]) == (7, "published", True)
    # The incomplete year's scorecard ranks the two that reported, with no change of rank.
    card = json.loads(run(db, "scorecard", "--period", "2015", "--format", "json").output)
    assert sorted(c["rank"] for c in card) == [1, 2] and all(c["rank_change"] is None for c in card)
