"""Registry change sets (issue 16, spec/registry.md): a change file checked and applied whole or not at all, each
period validated and computed against the registry in force then, old names in new returns, history kept."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from etl.cli import cli
from etl.ingest import ingest_path
from etl.store import queries
from etl.store.db import make_engine, registry_from_db
from etl.store.registry_changes import apply_change_file, change_sets
from conftest import copied, table_counts
from returns import SheetSpec, write_workbook

HEADER = "effective_period,change,old_code,new_code,new_name,township_code,township_name,county_code,kind,note\n"
# One change of each kind in 北流市, effective 2016, over the sample's 2013–2015.
EACH_KIND = HEADER + """\
2016,rename,450981002002,450981002002,永丰新村社区居委会,,,,,玉政函〔2016〕12号
2016,merge,450981001005,450981001101,马岭朱砂罗社区居委会,,,,,
2016,merge,450981001006,450981001101,马岭朱砂罗社区居委会,,,,,
2016,split,450981002004,450981002101,新兴东社区居委会,,,,,
2016,split,450981002004,450981002102,新兴西社区居委会,,,,,
2016,new,,450981002103,城南新区社区居委会,450981002,城南街道,450981,,
2016,abolish,450981002006,,,,,,,
2016,move,450981001004,450981001004,,450981002,城南街道,450981,,
"""


@pytest.fixture
def changed_db(sample_db_url, tmp_path):
    """A copy of the sample database (Yulin 2013–2015) with the change set of each kind applied."""
    engine = make_engine(copied(sample_db_url, tmp_path / "changed.db"))
    before = queries.indicator_values(engine, "current")
    outcome = apply_change_file(engine, EACH_KIND.encode(), "changes_2016.csv", "admin")
    assert outcome.status == "applied", [p.message_en for p in outcome.report.problems]
    yield engine, before
    engine.dispose()


def beiliu_return(path: Path, engine, period: str = "2016", rename: dict | None = None, extra=()) -> Path:
    """北流市's return for the period over the registry in force then; `rename`: code → the name a clerk writes
    instead (with no code), `extra`: rows added as written."""
    rename = rename or {}
    rows = [[c.county_name, c.township_name, "" if c.code in rename else c.code, rename.get(c.code, c.name), c.kind,
             600, 30, "是", 2, "否"] for c in registry_from_db(engine).in_force(period).in_county("450981")]
    return write_workbook(path, SheetSpec(rows=rows + list(extra),
                                          title=[["填报单位：北流市", f"报告期：{period}年"]]))


def test_each_kind_of_change_gives_2016_its_own_registry_and_keeps_2015s(changed_db):
    engine, before = changed_db
    newest = registry_from_db(engine)
    r2015, r2016 = newest.in_force("2015"), newest.in_force("2016")
    codes15, codes16 = set(r2015.by_code()), set(r2016.by_code())
    assert len(codes15) == 184 and len(codes16) == 184 - 2 + 1 - 1 + 2 + 1 - 1
    assert {"450981001005", "450981001006", "450981002004", "450981002006"} <= codes15 - codes16
    assert codes16 - codes15 == {"450981001101", "450981002101", "450981002102", "450981002103"}
    assert r2015.by_code()["450981002002"].name == "永丰社区居委会"
    assert r2016.by_code()["450981002002"].name == "永丰新村社区居委会"
    moved = r2016.by_code()["450981001004"]
    assert (moved.township_code, moved.township_name, moved.name) == ("450981002", "城南街道", "龙桥社区居委会")
    assert r2016.by_code()["450981002103"].kind == "城市社区"          # by the township rule: under a 街道
    # nothing computed before the change moved: every earlier figure, names included, as it was
    after = queries.indicator_values(engine, "current")
    assert after.equals(before)
    history = change_sets(engine)
    assert history.loc[0, "applied_by"] == "admin" and history.loc[0, "effective_period"] == "2016"
    assert history.loc[0, "summary"]["changes"] == {"rename": 1, "merge": 2, "split": 2, "new": 1, "abolish": 1,
                                                    "move": 1}


def test_2016_returns_naming_the_past_are_read_as_now_or_told_what_it_became(changed_db, tmp_path):
    engine, _ = changed_db
    as_it_was = beiliu_return(tmp_path / "beiliu_2016_old.xlsx", engine, extra=[
        ["北流市", "城南街道", "", "新兴社区", "城市社区", 600, 30, "是", 2, "否"],
        ["北流市", "城南街道", "", "精通社区", "城市社区", 600, 30, "是", 2, "否"],
        ["北流市", "陵城街道", "450981001005", "", "城市社区", 600, 30, "是", 2, "否"]])
    refused = ingest_path(engine, as_it_was)
    assert refused.status == "rejected"
    said = {p.code: (p.message_zh, p.message_en) for p in refused.report.problems}
    assert said["community-split"] == (
        "社区“新兴社区”已于2016年拆分为 新兴东社区居委会、新兴西社区居委会，请分别填报",
        "community '新兴社区' was split into 新兴东社区居委会, 新兴西社区居委会 in 2016: report each of them")
    assert said["community-abolished"] == ("社区“精通社区”已于2016年撤销", "community '精通社区' was abolished in 2016")
    assert "合并为 马岭朱砂罗社区居委会" in said["community-merged"][0]
    assert "450981001005 马岭社区居委会" in said["community-merged"][0]

    renamed = beiliu_return(tmp_path / "beiliu_2016.xlsx", engine, rename={"450981002002": "永丰社区"})
    loaded = ingest_path(engine, renamed)
    assert loaded.status == "loaded", [p.message_en for p in loaded.report.errors]
    warning = next(p for p in loaded.report.warnings if p.code == "renamed")
    assert warning.message_zh == "永丰社区 已于2016年更名为 永丰新村社区居委会"
    assert warning.message_en == "永丰社区 was renamed 永丰新村社区居委会 in 2016"
    # read as the community it is now, and counted over 2016's registry
    rows = queries.community_history(engine, "450981002002")
    assert rows[["period", "community_name"]].values.tolist()[-2:] == [["2015", "永丰社区居委会"],
                                                                      ["2016", "永丰新村社区居委会"]]
    counties = queries.indicator_values(engine, "current", period="2016", level="county")
    beiliu = counties[counties["area_code"] == "450981"].set_index("indicator")["value"]
    assert beiliu["communities"] == len(registry_from_db(engine).in_force("2016").in_county("450981"))

    # a 2015 return is still checked against 2015's registry: the old names are the right ones there
    old = beiliu_return(tmp_path / "beiliu_2015.xlsx", engine, period="2015")
    assert ingest_path(engine, old, dry_run=True).report.valid


def test_a_change_file_with_an_unknown_code_or_a_merge_across_counties_is_refused_whole(sample_db_url, tmp_path):
    engine = make_engine(copied(sample_db_url, tmp_path / "copy.db"))
    counts = table_counts(engine)
    bad = HEADER + """\
2016,rename,450981002002,,永丰新村社区居委会,,,,,
2016,rename,450981999999,,不存在社区,,,,,
2016,merge,450981001005,450981001101,合并社区,,,,,
2016,merge,450902001001,450981001101,合并社区,,,,,
2012,abolish,450981002006,,,,,,,
2016,更名,450981001001,,陵宁新社区,,,,,
2016,dissolve,450981001002,,,,,,,
"""
    outcome = apply_change_file(engine, bad.encode(), "bad.csv", "admin")
    assert outcome.status == "rejected" and not outcome.applied
    by_row = {(p.row, p.code) for p in outcome.report.errors}
    assert (3, "change-unknown-code") in by_row
    assert {(4, "change-merge-counties"), (5, "change-merge-counties")} <= by_row
    assert (6, "change-before-baseline") in by_row
    assert (8, "change-unknown-kind") in by_row
    assert not any(row in (2, 7) for row, _ in by_row)        # the good rows (更名 in Chinese too) have no problem
    merge = next(p for p in outcome.report.errors if p.code == "change-merge-counties")
    assert "玉州区" in merge.message_zh and "北流市" in merge.message_zh and "different counties" in merge.message_en
    assert table_counts(engine) == counts                       # nothing changed
    assert registry_from_db(engine).history is None

    result = CliRunner().invoke(cli, ["--db", str(engine.url), "registry", "apply", str(_write(tmp_path, bad))])
    assert result.exit_code == 1
    assert "change-unknown-code" in result.output and "no community has the code 450981999999" in result.output
    assert table_counts(engine) == counts
    engine.dispose()


def _write(tmp_path: Path, text: str, name: str = "changes.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8-sig")
    return path


def test_the_cli_dry_runs_applies_lists_and_shows_history(sample_db_url, tmp_path):
    db = copied(sample_db_url, tmp_path / "cli.db")
    run = lambda *args: CliRunner().invoke(cli, ["--db", db, *args])
    changes = _write(tmp_path, EACH_KIND)
    engine = make_engine(db)
    counts = table_counts(engine)
    dry = run("registry", "apply", "--dry-run", str(changes))
    assert dry.exit_code == 0 and "valid" in dry.output and "1 rename (更名)" in dry.output
    assert table_counts(engine) == counts
    applied = run("registry", "apply", "--user", "wang", str(changes))
    assert applied.exit_code == 0 and "applied" in applied.output
    again = run("registry", "apply", str(changes))                # the same period again: refused, in order only
    assert again.exit_code == 1 and "change-not-after-applied" in again.output

    listed = run("registry", "list", "--period", "2015", "--format", "csv")
    reference = Path("etl/data/yulin_communities.csv").read_text(encoding="utf-8")
    assert listed.output.splitlines()[0] == reference.splitlines()[0]
    assert sorted(listed.output.splitlines()) == sorted(reference.splitlines())   # 2015: the shipped registry
    newer = run("registry", "list", "--period", "2016", "--format", "json")
    names = {r["community_code"]: r["community_name"] for r in json.loads(newer.output)}
    assert names["450981002002"] == "永丰新村社区居委会" and "450981002006" not in names
    history = run("registry", "history")
    assert history.exit_code == 0 and "wang" in history.output and "changes.csv" in history.output
    engine.dispose()


def test_an_xlsx_change_file_in_chinese_headers_and_words(sample_db_url, tmp_path):
    import xlsxwriter
    engine = make_engine(copied(sample_db_url, tmp_path / "x.db"))
    book_path = tmp_path / "变更.xlsx"
    book = xlsxwriter.Workbook(str(book_path))
    ws = book.add_worksheet("区划变更")
    rows = [["生效期", "变更类型", "原代码", "新代码", "新名称", "备注"],
            ["2016年", "更名", 450981002002, None, "永丰新村社区居委会", "玉政函〔2016〕12号"],
            ["2016", "撤销", "450981002006", None, None, None]]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    book.close()
    outcome = apply_change_file(engine, book_path.read_bytes(), book_path.name, "admin")
    assert outcome.status == "applied", [p.message_en for p in outcome.report.problems]
    assert registry_from_db(engine).by_code()["450981002002"].name == "永丰新村社区居委会"
    engine.dispose()


def test_applying_remaps_returns_already_loaded_for_the_period_and_recomputes_it(engine, tmp_path):
    """A 2016 return loaded before the change set: its renamed community (a new code) becomes the new one, its
    figures recomputed over 2016's registry — on SQLite and PostgreSQL, in one transaction."""
    from etl.store.setup import init_db
    init_db(engine)
    path = beiliu_return(tmp_path / "b2016.xlsx", engine)
    assert ingest_path(engine, path).status == "loaded"
    changes = HEADER + "2016,move,450981001004,450981002104,龙桥社区居委会,450981002,城南街道,450981,,\n"
    outcome = apply_change_file(engine, changes.encode(), "move.csv", "admin")
    assert outcome.status == "applied" and outcome.sets[0]["periods"] == ["2016"]
    rows = queries.community_history(engine, "450981002104")
    assert rows[["period", "township_name"]].values.tolist() == [["2016", "城南街道"]]
    assert queries.community_history(engine, "450981001004").empty
    values = queries.indicator_values(engine, "current", period="2016", level="community")
    assert "450981002104" in set(values["area_code"]) and "450981001004" not in set(values["area_code"])


@pytest.mark.parametrize("table", ["community_era", "place", "indicator_value"])
def test_a_failure_in_the_middle_of_an_apply_leaves_the_old_state(engine, tmp_path, table):
    """The database refuses a write part-way (the eras, the newest registry, the recomputed figures): nothing of
    the change set stays — no change set, the registry and every figure as they were — on SQLite and PostgreSQL."""
    from conftest import refuse_inserts
    from etl.store.setup import init_db
    init_db(engine)
    assert ingest_path(engine, beiliu_return(tmp_path / "b2016.xlsx", engine)).status == "loaded"
    counts, values = table_counts(engine), queries.indicator_values(engine, "current")
    refuse_inserts(engine, table)
    with pytest.raises(Exception, match="refused"):
        apply_change_file(engine, EACH_KIND.encode(), "changes_2016.csv", "admin")
    assert table_counts(engine) == counts
    assert queries.indicator_values(engine, "current").equals(values)
    assert registry_from_db(engine).history is None
    assert registry_from_db(engine).by_code()["450981002002"].name == "永丰社区居委会"


def test_a_return_leaving_out_communities_of_its_period_s_registry_is_told_which(changed_db, tmp_path):
    """Reporting expects the period's communities: a 2016 return written over 2015's registry (as it was, the new
    communities left out) is told which of 2016's it lacks; one over 2016's lacks none."""
    engine, _ = changed_db
    complete = ingest_path(engine, beiliu_return(tmp_path / "full.xlsx", engine), dry_run=True)
    assert "communities-missing" not in [p.code for p in complete.report.problems]
    registry_2016 = registry_from_db(engine).in_force("2016").in_county("450981")
    rows = [[c.county_name, c.township_name, c.code, c.name, c.kind, 600, 30, "是", 2, "否"]
            for c in registry_2016 if c.code not in ("450981002103", "450981001101")]
    short = write_workbook(tmp_path / "short.xlsx", SheetSpec(rows=rows, title=[["填报单位：北流市", "报告期：2016年"]]))
    outcome = ingest_path(engine, short, dry_run=True)
    missing = next(p for p in outcome.report.warnings if p.code == "communities-missing")
    assert missing.message_zh == "本期区划名录中本县（市、区）有2个社区未填报：马岭朱砂罗社区居委会、城南新区社区居委会"
    assert missing.message_en.startswith("2 communities of the county in this period's registry are not in the return")


def test_init_with_a_newer_registry_is_refused_once_change_sets_were_applied(changed_db, tmp_path):
    """Replacing the registry in place would lose every period's own registry: after a change set, a newer
    registry goes in as a change file (registry diff, then apply), and `init --registry` changes nothing."""
    engine, _ = changed_db
    counts = table_counts(engine)
    newer = tmp_path / "newer.csv"
    newer.write_text(Path("etl/data/yulin_communities.csv").read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", str(engine.url), "init", "--registry", str(newer)])
    assert result.exit_code != 0 and "shequ registry apply" in result.output
    assert table_counts(engine) == counts
    assert CliRunner().invoke(cli, ["--db", str(engine.url), "init"]).exit_code == 0     # an upgrade still runs


def test_names_too_long_for_the_registry_or_shaped_as_formulas_are_refused(db_url):
    """A name is stored in a 64-character column and exported to spreadsheets: a longer one, or one a spreadsheet
    would run (=HYPERLINK…), is a problem of its row — never a database error half-way, on either database."""
    from etl.store.setup import init_db
    engine = make_engine(db_url)
    init_db(engine)
    bad = HEADER + (f"2016,rename,450981002002,,{'长' * 65},,,,,\n"
                    "2016,rename,450981002003,,=HYPERLINK(\"http://x\"),,,,,\n"
                    "2016,new,,450981002103,城南新区社区居委会,450981009,<b>新街道</b>,450981,,\n")
    outcome = apply_change_file(engine, bad.encode(), "names.csv", "admin")
    assert [(p.row, p.code) for p in outcome.report.errors] == [(2, "change-bad-name"), (3, "change-bad-name"),
                                                                (4, "change-bad-name")]
    assert "至多64个字" in outcome.report.errors[0].message_zh
    assert registry_from_db(engine).history is None
    engine.dispose()
