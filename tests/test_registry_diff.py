"""`shequ registry diff`: a draft change file from the registry in force to a newer edition of the codes."""
from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from etl.cli import cli
from etl.registry import REGISTRY_COLUMNS, load_registry_csv
from etl.registry_diff import CHANGE_COLUMNS, diff_registries

STREET = {"城南街道": "450981002", "城北街道": "450981003", "陵城街道": "450981001"}


def shipped_rows() -> list[dict]:
    text = resources.files("etl").joinpath("data", "yulin_communities.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def beiliu(code: str, name: str, township: str) -> dict:
    return {"county_code": "450981", "county_name": "北流市", "township_code": STREET[township],
            "township_name": township, "township_kind": "street", "community_code": code, "community_name": name}


def write_edition(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=REGISTRY_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def newer_edition(path: Path) -> Path:
    """Yulin's codes with Beiliu's year of changes: a rename, an abolished code, a new code, a merge, a split."""
    gone = {"450981003004",                    # 大风门: abolished
            "450981002001", "450981002004",    # 新松 and 新兴: merged into 新松新兴
            "450981001001"}                    # 陵宁: split into 陵宁东 and 陵宁西
    rows = [r for r in shipped_rows() if r["community_code"] not in gone]
    for r in rows:
        if r["community_code"] == "450981002005":
            r["community_name"] = "贵仁社区居委会"           # was 贵仁堂社区居委会
    rows += [beiliu("450981003005", "清源社区居委会", "城北街道"),
             beiliu("450981002008", "新松新兴社区居委会", "城南街道"),
             beiliu("450981001007", "陵宁东社区居委会", "陵城街道"),
             beiliu("450981001008", "陵宁西社区居委会", "陵城街道")]
    return write_edition(path, rows)


def _where(code: str, name: str, township: str) -> list[str]:
    return [code, name, STREET[township], township, "450981", "城市社区"]


EXPECTED = [
    ["", "rename", "450981002005", "450981002005", "贵仁社区居委会", "", "", "", "", ""],
    ["", "merge", "450981002001", *_where("450981002008", "新松新兴社区居委会", "城南街道"),
     "proposed: merge of 新松社区居委会、新兴社区居委会 into 新松新兴社区居委会"],
    ["", "merge", "450981002004", *_where("450981002008", "新松新兴社区居委会", "城南街道"),
     "proposed: merge of 新松社区居委会、新兴社区居委会 into 新松新兴社区居委会"],
    ["", "split", "450981001001", *_where("450981001007", "陵宁东社区居委会", "陵城街道"),
     "proposed: split of 陵宁社区居委会 into 陵宁东社区居委会、陵宁西社区居委会"],
    ["", "split", "450981001001", *_where("450981001008", "陵宁西社区居委会", "陵城街道"),
     "proposed: split of 陵宁社区居委会 into 陵宁东社区居委会、陵宁西社区居委会"],
    ["", "new", "", *_where("450981003005", "清源社区居委会", "城北街道"), ""],
    ["", "abolish", "450981003004", "", "", "", "", "", "", ""],
]


def test_the_draft_has_exactly_the_year_s_changes(tmp_path):
    changes = diff_registries(load_registry_csv(), load_registry_csv(newer_edition(tmp_path / "new.csv")))
    assert list(changes.columns) == CHANGE_COLUMNS
    assert changes.values.tolist() == EXPECTED


def test_the_same_edition_gives_no_changes():
    assert diff_registries(load_registry_csv(), load_registry_csv()).empty


def test_a_code_replaced_by_one_that_keeps_its_name_is_a_proposed_rename(tmp_path):
    rows = [r for r in shipped_rows() if r["community_code"] != "450981003004"]
    rows.append(beiliu("450981003009", "大风门社区居民委员会", "城北街道"))
    changes = diff_registries(load_registry_csv(), load_registry_csv(write_edition(tmp_path / "new.csv", rows)))
    assert changes[["change", "old_code", "new_code", "new_name"]].values.tolist() == [
        ["rename", "450981003004", "450981003009", "大风门社区居民委员会"]]
    assert changes["note"][0].startswith("proposed: ")


def test_a_community_moved_to_another_street_is_a_move(tmp_path):
    rows = shipped_rows()
    for r in rows:
        if r["community_code"] == "450981002005":
            r["township_code"], r["township_name"] = "450981003", "城北街道"
    changes = diff_registries(load_registry_csv(), load_registry_csv(write_edition(tmp_path / "new.csv", rows)))
    assert changes.values.tolist() == [["", "move", "450981002005", "450981002005", "", "450981003", "城北街道",
                                        "450981", "城市社区", ""]]


@pytest.fixture
def db(db_url):
    assert CliRunner().invoke(cli, ["--db", db_url, "init"]).exit_code == 0
    return db_url


def test_the_command_writes_the_draft_as_csv_with_a_bom(db, tmp_path):
    out = tmp_path / "changes.csv"
    result = CliRunner().invoke(cli, ["--db", db, "registry", "diff", str(newer_edition(tmp_path / "new.csv")),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "7 proposed changes" in result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == CHANGE_COLUMNS
    assert rows[1:] == EXPECTED


def test_the_command_prints_the_draft_without_out(db, tmp_path):
    result = CliRunner().invoke(cli, ["--db", db, "registry", "diff", str(newer_edition(tmp_path / "new.csv"))])
    assert result.exit_code == 0, result.output
    assert "proposed: merge of 新松社区居委会、新兴社区居委会 into 新松新兴社区居委会" in result.output
    assert "abolish" in result.output and "450981003004" in result.output


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", b"code,name\n1,a\n", b""])
def test_an_unreadable_newer_file_is_a_clear_error(db, tmp_path, content):
    bad = tmp_path / "new.csv"
    bad.write_bytes(content)
    result = CliRunner().invoke(cli, ["--db", db, "registry", "diff", str(bad)])
    assert result.exit_code == 1
    assert "cannot read the newer registry" in result.output
    assert "Traceback" not in result.output


def test_the_draft_once_dated_applies_and_gives_the_newer_edition(db, tmp_path):
    """diff → a person fills effective_period → apply: the registry in force from 2016 is the newer edition,
    community for community (a move and a rename of one code included), and 2015's is still the shipped one."""
    newer = newer_edition(tmp_path / "new.csv")
    edition = [r for r in csv.DictReader(io.StringIO(newer.read_text(encoding="utf-8-sig")))]
    for r in edition:
        if r["community_code"] == "450981001004":               # 龙桥: moved to 城南街道 and renamed
            r.update(township_code="450981002", township_name="城南街道", community_name="龙桥新社区居委会")
    write_edition(newer, edition)
    run = lambda *args: CliRunner().invoke(cli, ["--db", db, *map(str, args)])
    draft = tmp_path / "draft.csv"
    assert run("registry", "diff", newer, "--out", draft).exit_code == 0
    dated = draft.read_text(encoding="utf-8-sig").replace("\n,", "\n2016,")
    (tmp_path / "dated.csv").write_text(dated, encoding="utf-8-sig")
    applied = run("registry", "apply", tmp_path / "dated.csv")
    assert applied.exit_code == 0, applied.output
    listed = lambda period: sorted(run("registry", "list", "--period", period, "--format", "csv").output.splitlines())
    assert listed("2016") == sorted(newer.read_text(encoding="utf-8-sig").splitlines())
    assert listed("2015") == sorted(resources.files("etl").joinpath("data", "yulin_communities.csv")
                                    .read_text(encoding="utf-8").splitlines())
