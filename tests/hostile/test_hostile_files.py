"""Hostile and broken files through the real ingest pipeline (cheap checks, worker process, validation, load).

Every case is built here by code. Each must end in a clear problem naming the file — rejected with the
expected code, or loaded with the expected warning where the variation is tolerable — with no exception, no
partial load, in bounded time, and without the test process itself growing (the parse runs in a child).
"""
from __future__ import annotations

import datetime as dt
import io
import json
import resource
import time
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import xlsxwriter
from sqlalchemy import select

from conftest import table_counts
from etl.store.db import community_return, leader_link, make_engine, submission
from etl.store.setup import init_db
from etl.ingest import ingest_bytes, ingest_path
from etl.registry import default_registry
from hostile.builders import (HEADERS, csv_bytes, deflated_entry, deflated_part, flip_in_part,
                              handmade_zip,
                              ole_encrypted_package, patch_parts, pdf_bytes, png_bytes, random_cjk, raw_xlsx,
                              return_rows, rows_xml, sheet_xml, standard_rows, valid_return, write_zip)
from returns import SheetSpec, communities, leader_sheet, write_workbook

from shared import CORPUS  # noqa: E402  (tests/shared.py: ../shared, SHEQU_SHARED or /work/shared)
SECONDS = 60                      # generous: a bound, not a performance goal
TEST_PROCESS_GROWTH_MB = 300      # the parse runs in a child; this process must not balloon
SHEET1 = "xl/worksheets/sheet1.xml"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """One database for the module, already holding a return, so 'unchanged' means more than 'empty'."""
    folder = tmp_path_factory.mktemp("hostile")
    engine = make_engine(f"sqlite:///{folder / 'shequ.db'}")
    init_db(engine)
    first = valid_return(folder / "first.xlsx", rows=standard_rows("450902", 2),
                         title=[["填报单位：玉州区", "报告期：2015年"]])
    assert ingest_path(engine, first).status == "loaded"
    yield engine
    engine.dispose()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ingest(engine, built):
    """Ingest a built file (a Path, or (bytes, file name) for a corpus file read in place); check the bounds."""
    if isinstance(built, Path):
        content, name = built.read_bytes(), built.name
    else:
        content, name = built
    before, peak, start = table_counts(engine), _peak_rss_mb(), time.monotonic()
    outcome = ingest_bytes(engine, content, name)
    elapsed = time.monotonic() - start
    assert elapsed < SECONDS, f"{name}: {elapsed:.0f} s"
    assert _peak_rss_mb() - peak < TEST_PROCESS_GROWTH_MB
    problems = outcome.report.problems
    assert problems or outcome.status == "loaded"
    for p in problems:
        assert p.file == name
        assert p.message_zh and p.message_en
        assert "Traceback" not in p.message_en and len(p.message_en) < 2000 and len(p.message_zh) < 2000
    if outcome.status == "rejected":
        assert outcome.report.errors
        assert table_counts(engine) == before, "a rejected file changed the database"
    return outcome


# --- the cases ----------------------------------------------------------------------------------------------

@dataclass
class Case:
    build: object                  # (tmp_path) -> Path | (bytes, name)
    status: str                    # rejected | loaded
    codes: tuple[str, ...]         # rejected: the error codes (any of them, as a set); loaded: warnings expected
    where: tuple = ()              # (row, column, code) that must be among the problems
    exact: bool = True             # rejected: the error codes are exactly `codes` (as a set)
    error_rows: tuple = ()         # Excel rows that must carry an error


CASES: dict[str, Case] = {}


def case(status: str, *codes: str, where=(), exact: bool = True, error_rows=()):
    def register(build):
        CASES[build.__name__] = Case(build, status, codes, tuple(where), exact, tuple(error_rows))
        return build
    return register


def good(tmp: Path, name: str = "good.xlsx") -> Path:
    return valid_return(tmp / name)


# Not a workbook, or a damaged one.

@case("rejected", "not-a-workbook")
def empty_file(tmp):
    (tmp / "r.xlsx").write_bytes(b"")
    return tmp / "r.xlsx"


@case("rejected", "damaged-workbook")
def truncated_in_half(tmp):
    data = good(tmp).read_bytes()
    (tmp / "r.xlsx").write_bytes(data[: len(data) // 2])
    return tmp / "r.xlsx"


@case("rejected", "damaged-workbook")
def truncated_end_of_central_directory(tmp):
    data = good(tmp).read_bytes()
    (tmp / "r.xlsx").write_bytes(data[:-10])
    return tmp / "r.xlsx"


@case("rejected", "damaged-workbook")
def flipped_bytes_in_the_sheet_deflate_stream(tmp):
    (tmp / "r.xlsx").write_bytes(flip_in_part(good(tmp).read_bytes(), SHEET1, at=0.4))
    return tmp / "r.xlsx"


@case("rejected", "damaged-workbook")
def flipped_bytes_in_the_shared_strings_deflate_stream(tmp):
    (tmp / "r.xlsx").write_bytes(flip_in_part(good(tmp).read_bytes(), "xl/sharedStrings.xml", at=0.6))
    return tmp / "r.xlsx"


@case("rejected", "not-a-workbook")
def missing_content_types(tmp):
    return patch_parts(good(tmp), tmp / "r.xlsx", replace={"[Content_Types].xml": None})


@case("rejected", "damaged-workbook")
def missing_worksheet_part(tmp):
    return patch_parts(good(tmp), tmp / "r.xlsx", replace={SHEET1: None})


@case("rejected", "damaged-workbook")
def missing_workbook_part(tmp):
    return patch_parts(good(tmp), tmp / "r.xlsx", replace={"xl/workbook.xml": None})


@case("rejected", "damaged-workbook")
def two_parts_with_the_same_name(tmp):
    """Zip ambiguity: a checker may read one copy and the parser the other."""
    path = good(tmp)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    out = tmp / "r.xlsx"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z, pytest.warns(UserWarning, match="Duplicate"):
        for name, data in parts.items():
            z.writestr(name, data)
        z.writestr(SHEET1, sheet_xml(rows_xml([["x"]])))
    return out


@case("rejected", "not-a-workbook")
def a_zip_that_is_not_a_workbook(tmp):
    return write_zip(tmp / "r.xlsx", {"readme.txt": b"hello", "data/a.csv": csv_bytes()})


@case("rejected", "oversize-file")
def too_many_parts(tmp):
    parts = {"[Content_Types].xml": b"<Types/>"}
    parts.update({f"xl/media/p{i}.bin": b"" for i in range(2100)})
    return write_zip(tmp / "r.xlsx", parts, method=zipfile.ZIP_STORED)


@case("rejected", "encrypted-workbook")
def zip_entry_flagged_encrypted(tmp):
    data = bytearray(good(tmp).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo(SHEET1)
    data[info.header_offset + 6] |= 1
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        n = int.from_bytes(data[pos + 28:pos + 30], "little")
        if data[pos + 46:pos + 46 + n] == SHEET1.encode():
            data[pos + 8] |= 1
        pos = data.find(b"PK\x01\x02", pos + 4)
    (tmp / "r.xlsx").write_bytes(bytes(data))
    return tmp / "r.xlsx"


# Zip bombs.

def _blank_rows(n: int):
    def chunks():
        yield sheet_xml(rows_xml(return_rows())).split(b"</sheetData>")[0]
        for start in range(7, 7 + n, 10_000):
            yield "".join(f'<row r="{r}"/>' for r in range(start, min(start + 10_000, 7 + n))).encode()
        yield b"</sheetData></worksheet>"
    return chunks


def _spaces(megabytes: int):
    def chunks():
        yield b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + b'xmlns="http://schemas.openxmlformats.org/' \
              b'spreadsheetml/2006/main"><sheetData>'
        block = b" " * 2**20
        for _ in range(megabytes):
            yield block
        yield b"</sheetData></worksheet>"
    return chunks


@case("rejected", "oversize-file")
def zip_bomb_huge_sheet_xml(tmp):
    path = raw_xlsx(tmp / "r.xlsx", [("社区基本情况", _spaces(300))])
    assert path.stat().st_size < 2 * 2**20
    return path


def _forged_bomb(tmp, forge_crc: bool) -> Path:
    """A 100 MB sheet whose headers declare 1,000 bytes (and, if asked, the CRC of those first 1,000 bytes)."""
    base = raw_xlsx(tmp / "base.xlsx", [("社区基本情况", b"")])
    with zipfile.ZipFile(base) as z:
        entries = [deflated_entry(i.filename, z.read(i)) for i in z.infolist() if i.filename != SHEET1]
    compressed, _, crc = deflated_part(_spaces(100)())
    if forge_crc:
        crc = zlib.crc32(b"".join(_spaces(1)())[:1000])
    entries.append((SHEET1, compressed, zipfile.ZIP_DEFLATED, crc, 1000))
    path = tmp / "r.xlsx"
    path.write_bytes(handmade_zip(entries))
    assert path.stat().st_size < 2**20
    return path


@case("rejected", "damaged-workbook", "oversize-file", exact=False)
def zip_bomb_with_its_declared_size_forged_small(tmp):
    return _forged_bomb(tmp, forge_crc=False)


@case("rejected", "damaged-workbook", "oversize-file", exact=False)
def zip_bomb_with_declared_size_and_crc_forged(tmp):
    return _forged_bomb(tmp, forge_crc=True)


# XML attacks.

LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(2, 10)) + "]>")


@case("rejected", "unsafe-workbook")
def billion_laughs_in_shared_strings(tmp):
    return patch_parts(good(tmp), tmp / "r.xlsx", edit={
        "xl/sharedStrings.xml": lambda b: b.replace(b"?>", b"?>" + LAUGHS.encode(), 1).replace(
            "永丰".encode(), b"&lol9;")})


@case("rejected", "unsafe-workbook")
def billion_laughs_in_a_sheet(tmp):
    rows = return_rows()
    return raw_xlsx(tmp / "r.xlsx", [("社区基本情况", sheet_xml(rows_xml(rows), prolog=LAUGHS).replace(
        "陵宁".encode(), b"&lol9;"))])


@case("rejected", "unsafe-workbook")
def xxe_to_a_local_file(tmp):
    dtd = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    rows = return_rows()
    rows[3][3] = "XXE"
    return raw_xlsx(tmp / "r.xlsx", [("社区基本情况", sheet_xml(rows_xml(rows), prolog=dtd).replace(
        b">XXE<", b">&xxe;<"))])


@case("rejected", "unsafe-workbook")
def dtd_after_a_long_comment(tmp):
    """A prolog may hold comments before the DOCTYPE: a check of the first block alone misses it."""
    prolog = "<!--" + "x" * (200 * 1024) + "-->" + '<!DOCTYPE x [<!ENTITY e "永丰">]>'
    return raw_xlsx(tmp / "r.xlsx", [("社区基本情况", sheet_xml(rows_xml(return_rows()), prolog=prolog))])


@case("rejected", "unsafe-workbook", "damaged-workbook", exact=False)
def dtd_in_a_utf16_part(tmp):
    xml = sheet_xml(rows_xml(return_rows()), prolog='<!DOCTYPE x [<!ENTITY e "e">]>').decode()
    xml = xml.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    return raw_xlsx(tmp / "r.xlsx", [("社区基本情况", b"\xff\xfe" + xml.encode("utf-16-le"))])


# Encrypted and other formats.

@case("rejected", "encrypted-workbook")
def encrypted_workbook_from_excel(tmp):
    return (CORPUS / "pass_protected.xlsx").read_bytes(), "r.xlsx"


@case("rejected", "encrypted-workbook")
def ole_file_with_an_encrypted_package_stream(tmp):
    (tmp / "r.xlsx").write_bytes(ole_encrypted_package())
    return tmp / "r.xlsx"


@case("rejected", "encrypted-workbook")
def encrypted_ods(tmp):
    return (CORPUS / "pass_protected.ods").read_bytes(), "r.ods"


@case("rejected", "no-table")
def an_old_xls_renamed_xlsx(tmp):
    return (CORPUS / "any_sheets.xls").read_bytes(), "r.xlsx"


@case("rejected", "damaged-workbook")
def an_ole_file_that_is_not_a_workbook(tmp):
    data = bytearray(ole_encrypted_package())
    name = "EncryptedPackage".encode("utf-16-le")
    data[data.find(name):data.find(name) + len(name)] = "WordDocumentXXXX".encode("utf-16-le")
    name = "EncryptionInfo".encode("utf-16-le")
    data[data.find(name):data.find(name) + len(name)] = "CompObjXXXXXXX".encode("utf-16-le")
    (tmp / "r.xlsx").write_bytes(bytes(data))
    return tmp / "r.xlsx"


@case("rejected", "not-a-workbook")
def a_csv_renamed_xlsx(tmp):
    (tmp / "r.xlsx").write_bytes(csv_bytes())
    return tmp / "r.xlsx"


@case("rejected", "not-a-workbook")
def a_gbk_csv_renamed_xlsx(tmp):
    (tmp / "r.xlsx").write_bytes(csv_bytes("gbk"))
    return tmp / "r.xlsx"


@case("rejected", "not-a-workbook")
def a_pdf_renamed_xlsx(tmp):
    (tmp / "r.xlsx").write_bytes(pdf_bytes())
    return tmp / "r.xlsx"


@case("rejected", "not-a-workbook")
def a_png_renamed_xlsx(tmp):
    (tmp / "r.xlsx").write_bytes(png_bytes())
    return tmp / "r.xlsx"


# Empty and absurd grids.

@case("rejected", "no-table")
def an_empty_workbook(tmp):
    book = xlsxwriter.Workbook(str(tmp / "r.xlsx"))
    book.add_worksheet()
    book.close()
    return tmp / "r.xlsx"


@case("rejected", "empty-return")
def headers_and_no_data(tmp):
    return valid_return(tmp / "r.xlsx", rows=[])


@case("rejected", "oversize-file")
def declared_dimension_of_a_million_columns(tmp):
    return raw_xlsx(tmp / "r.xlsx", [("社区基本情况", sheet_xml(rows_xml(return_rows()), dimension="A1:XFD1"))])


@case("rejected", "oversize-file")
def only_a1_and_xfd1048576(tmp):
    """The recipe's SIGABRT: the reader allocates the whole grid; never a crash of this process."""
    body = '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return raw_xlsx(tmp / "r.xlsx", [("Sheet1", sheet_xml(body))])


@case("rejected", "oversize-file")
def a1_and_xfd1048576_with_a_lying_dimension(tmp):
    body = '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return raw_xlsx(tmp / "r.xlsx", [("Sheet1", sheet_xml(body, dimension="A1:B2"))])


@case("loaded", "no-leader-sheet")
def a_million_blank_rows_under_the_table(tmp):
    """Rows with only a style (what formatting whole rows leaves): nothing to read; the return loads."""
    def chunks():
        yield sheet_xml(rows_xml(return_rows())).split(b"</sheetData>")[0]
        for start in range(7, 1_048_577, 10_000):
            yield "".join(f'<row r="{r}" s="1" customFormat="1" ht="15"><c r="A{r}" s="1"/></row>'
                          for r in range(start, min(start + 10_000, 1_048_577))).encode()
        yield b"</sheetData></worksheet>"
    return raw_xlsx(tmp / "r.xlsx", [("社区基本情况", chunks)])


@case("rejected", "missing-value", where=[(1_048_576, "D", "missing-value")], exact=False)
def data_on_excel_last_row(tmp):
    """A stray value on row 1,048,576: read (bounded) as a data row without a community."""
    body = rows_xml(return_rows()) + '<row r="1048576"><c r="F1048576"><v>5</v></c></row>'
    return raw_xlsx(tmp / "r.xlsx", [("社区基本情况", sheet_xml(body))])


# Values.

@case("rejected", "wrong-type", where=[(4, "F", "wrong-type"), (5, "G", "wrong-type"), (6, "I", "wrong-type")])
def error_cells_in_number_columns(tmp):
    rows = return_rows()
    rows[3][5], rows[4][6], rows[5][8] = ("error", "#REF!"), ("error", "#DIV/0!"), ("error", "#N/A")
    return raw_xlsx(tmp / "r.xlsx", [("社区基本情况", sheet_xml(rows_xml(rows)))])


@case("rejected", "wrong-type", where=[(4, "F", "wrong-type")])
def error_formula_results_written_by_excel_tools(tmp):
    rows = standard_rows()
    return write_workbook(tmp / "r.xlsx", SheetSpec(rows=rows, formulas={(3, 5): ("=1/0", "#DIV/0!")}))


@case("rejected", "wrong-type", where=[(4, "F", "wrong-type"), (5, "G", "wrong-type")])
def dates_in_number_columns(tmp):
    rows = standard_rows()
    rows[0][5], rows[1][6] = dt.datetime(2015, 5, 20), dt.date(2015, 1, 1)
    return valid_return(tmp / "r.xlsx", rows=rows)


@case("rejected", "out-of-range", where=[(4, "F", "out-of-range"), (5, "G", "out-of-range"),
                                         (6, "I", "out-of-range")])
def negative_and_absurd_values(tmp):
    rows = standard_rows()
    rows[0][5], rows[1][6], rows[2][8] = -600, 10**15, -1
    return valid_return(tmp / "r.xlsx", rows=rows)


@case("rejected", "out-of-range", "wrong-type",
      where=[(4, "F", "out-of-range"), (5, "F", "wrong-type"), (6, "G", "out-of-range")])
def huge_floats_and_overflowing_text(tmp):
    rows = standard_rows()
    rows[0][5], rows[1][5], rows[2][6] = 1.7e308, "9" * 400, 1e300
    return valid_return(tmp / "r.xlsx", rows=rows)


# Layout.

@case("loaded", "no-leader-sheet")
def merged_township_cells_inside_the_table(tmp):
    rows = standard_rows()
    for r in rows[1:]:
        r[1] = None
    return valid_return(tmp / "r.xlsx", rows=rows, merges=[(3, 1, 5, 1, rows[0][1])])


@case("rejected", "wrong-type", "not-a-choice", where=[(4, "F", "wrong-type"), (4, "G", "wrong-type")],
      exact=False)
def merged_name_across_number_cells(tmp):
    rows = standard_rows()
    name = rows[0][3]
    rows[0][4:7] = [None, None, None]
    return valid_return(tmp / "r.xlsx", rows=rows, merges=[(3, 3, 3, 6, name)])


@case("rejected", "duplicate-community", where=[(5, "D", "duplicate-community")], exact=False)
def merged_community_name_over_two_rows(tmp):
    rows = standard_rows()
    rows[1][2] = rows[1][3] = None
    return valid_return(tmp / "r.xlsx", rows=rows, merges=[(3, 3, 4, 3, rows[0][3])])


@case("loaded", "duplicate-column", "no-leader-sheet", where=[(3, "K", "duplicate-column")])
def duplicate_headers(tmp):
    rows = [r + [999] for r in standard_rows()]
    return valid_return(tmp / "r.xlsx", rows=rows, headers=[HEADERS + ["服务用房面积（平方米）"]])


TABLE_ROW_ERRORS = ("missing-value", "wrong-type", "not-a-choice", "unknown-community", "community-in-other-county",
                    "duplicate-community", "county-mismatch", "out-of-range")


@case("rejected", *TABLE_ROW_ERRORS, exact=False, error_rows=[8, 9, 10, 11],
      where=[(9, "D", "unknown-community"), (10, "C", "community-in-other-county")])
def two_tables_on_one_sheet(tmp):
    """Another county's table pasted under ours (after a gap and a title line): decided — the table runs on
    past blank rows (a variation clerks use), so the second title, header and rows are read as rows of ours and
    each is refused where it is: the header row names no community, the other county's rows are another
    county's. The file is rejected; nothing of either table is loaded."""
    other = [[c.county_name, c.township_name, c.code, c.name, c.kind, 500, 20, "是", 1, "否"]
             for c in communities("450902", 2)]
    rows = standard_rows() + [[], ["填报单位：玉州区"], HEADERS, *other]
    return valid_return(tmp / "r.xlsx", rows=rows)


@case("rejected", *TABLE_ROW_ERRORS, exact=False, error_rows=[8, 9, 10, 11])
def leader_table_under_the_community_table(tmp):
    """The leadership table under the community table instead of on its own sheet: rejected, row by row."""
    links = [["张三", "县级", "北流市副市长", c.code, c.name] for c in communities()]
    rows = standard_rows() + [[], ["领导姓名", "领导级别", "单位及职务", "联系社区代码", "联系社区名称"], *links]
    return valid_return(tmp / "r.xlsx", rows=rows)


@case("loaded", "no-leader-sheet")
def hidden_rows(tmp):
    path = tmp / "r.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("社区基本情况")
    for r, row in enumerate(return_rows()):
        ws.write_row(r, 0, row)
    ws.set_row(4, None, None, {"hidden": True})
    book.close()
    return path


@case("loaded", "hidden-sheet", "no-leader-sheet")
def hidden_sheet(tmp):
    return write_workbook(tmp / "r.xlsx", SheetSpec(name="Sheet9", title=[["说明"]], headers=[["无关"]], rows=[]),
                          SheetSpec(rows=standard_rows(), hidden=True))


@case("loaded", "hidden-sheet", "no-leader-sheet")
def very_hidden_sheet(tmp):
    return raw_xlsx(tmp / "r.xlsx", [("封面", sheet_xml(rows_xml([["封面"]]))),
                                     ("社区基本情况", sheet_xml(rows_xml(return_rows())))],
                    states={"社区基本情况": "veryHidden"})


def _nanning_rows():
    names = [("青秀区", "新竹街道", "450103001001", "竹溪社区居委会"), ("青秀区", "新竹街道", "450103001002",
             "民族社区居委会"), ("青秀区", "中山街道", "450103002001", "中山社区居委会")]
    return [[county, town, code, name, "城市社区", 600, 30, "是", 2, "否"] for county, town, code, name in names]


@case("rejected", "unknown-community", "county-mismatch", exact=False,
      where=[(4, "C", "unknown-community"), (5, "C", "unknown-community"), (6, "C", "unknown-community")])
def a_return_for_another_city_under_our_county(tmp):
    return valid_return(tmp / "r.xlsx", rows=_nanning_rows())


@case("rejected", "no-county")
def a_return_for_another_city(tmp):
    return valid_return(tmp / "r.xlsx", rows=_nanning_rows(), title=[["南宁市青秀区社区情况"],
                                                                    ["填报单位：青秀区", "报告期：2015年"]])


# Text.

def _long_cell_return(tmp, text: str, column: int) -> Path:
    rows = return_rows()
    rows[3][column] = text
    return raw_xlsx(tmp / "r.xlsx", [("社区基本情况", sheet_xml(rows_xml(rows)))])


@case("rejected", "oversize-file")
def ten_megabytes_of_text_in_a_name(tmp):
    return _long_cell_return(tmp, random_cjk(3_400_000), 3)


@case("rejected", "oversize-file")
def ten_megabytes_of_repeated_text_in_a_number_cell(tmp):
    return _long_cell_return(tmp, "很大" * 1_700_000, 5)


@case("loaded")
def control_characters_and_rtl_overrides_in_names(tmp):
    rows = standard_rows()
    rows[0][3] = "\u202e" + rows[0][3] + "\u202c"
    rows[1][3] = rows[1][3][:2] + "\u200b\u2066" + rows[1][3][2:] + "\x07"
    rows[2][1] = "\u202d" + rows[2][1]
    links = [["\u202e张三\u202c", "县级", "北流市\x08副市长", communities()[0].code, None]]
    return write_workbook(tmp / "r.xlsx", SheetSpec(name="社区\u202e基本情况", rows=rows), leader_sheet(links))


@case("rejected", "unknown-community", where=[(4, "D", "unknown-community")])
def rtl_override_hiding_another_name(tmp):
    """The override reorders what a reader sees; the characters themselves name no community."""
    rows = standard_rows()
    rows[0][2] = None
    rows[0][3] = "\u202e区社丰永"
    return valid_return(tmp / "r.xlsx", rows=rows)


# --- the tests ----------------------------------------------------------------------------------------------

def test_there_are_at_least_30_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_file(db, tmp_path, name):
    spec = CASES[name]
    outcome = ingest(db, spec.build(tmp_path))
    flat = outcome.report.flat()
    assert outcome.status == spec.status, flat
    if spec.status == "rejected":
        codes = {p.code for p in outcome.report.errors}
        if spec.exact:
            assert codes == set(spec.codes), flat
        else:
            assert codes and codes <= set(spec.codes), flat
    else:
        assert not outcome.report.errors
        assert set(spec.codes) <= {p.code for p in outcome.report.warnings}, flat
    for where in spec.where:
        assert where in flat, flat
    for row in spec.error_rows:
        assert row in {p.row for p in outcome.report.errors}, flat


def test_what_loads_is_the_table_not_the_hostile_extras(engine, tmp_path):
    """Stored text never keeps invisible overrides or control characters (sheet names included)."""
    db = engine
    outcome = ingest(db, CASES["control_characters_and_rtl_overrides_in_names"].build(tmp_path))
    assert outcome.status == "loaded", outcome.report.flat()
    sid = outcome.load.submission_id
    with db.connect() as conn:
        names = [r.community_name for r in conn.execute(select(community_return).where(
            community_return.c.submission_id == sid))]
        links = [(r.leader_name, r.leader_post) for r in conn.execute(select(leader_link).where(
            leader_link.c.submission_id == sid))]
        warnings = conn.execute(select(submission.c.warnings).where(submission.c.id == sid)).scalar_one()
        sheets = {r.sheet for r in conn.execute(select(community_return.c.sheet).where(
            community_return.c.submission_id == sid))}
    assert names == [c.name for c in communities()]
    assert sheets == {"社区基本情况"}
    assert links == [("张三", "北流市副市长")]
    stored = json.dumps([names, links, json.loads(warnings)], ensure_ascii=False)
    assert not any(ch in stored for ch in "\u202e\u202c\u202d\u200b\u2066\x07\x08")


def test_a_million_blank_rows_load_only_the_communities(engine, tmp_path):
    outcome = ingest(engine, CASES["a_million_blank_rows_under_the_table"].build(tmp_path))
    assert outcome.status == "loaded"
    assert list(outcome.parsed.communities["source_row"]) == [4, 5, 6]


def test_the_forged_bomb_is_also_refused_by_the_isolated_reader(tmp_path):
    """Second line of defence: with the cheap checks skipped, the worker still refuses the forged sizes."""
    from etl.ingest import parse_content
    from etl.read.safety import UnreadableWorkbook
    from etl.read.workbook import run_isolated
    content = _forged_bomb(tmp_path, forge_crc=True).read_bytes()
    with pytest.raises(UnreadableWorkbook) as caught:
        run_isolated(parse_content, content, "r.xlsx", default_registry(), timeout_s=SECONDS)
    assert caught.value.code in ("damaged-workbook", "oversize-file", "parse-failed")


def test_the_abort_case_is_refused_by_the_isolated_reader_too(tmp_path):
    """Without the cheap checks, the A1 + XFD1048576 sheet kills only the worker, never this process."""
    from etl.ingest import parse_content
    from etl.read.safety import UnreadableWorkbook
    from etl.read.workbook import run_isolated
    content = CASES["only_a1_and_xfd1048576"].build(tmp_path).read_bytes()
    with pytest.raises(UnreadableWorkbook) as caught:
        run_isolated(parse_content, content, "r.xlsx", default_registry(), timeout_s=SECONDS)
    assert caught.value.code in ("oversize-file", "parse-failed")


# --- the calamine corpus ------------------------------------------------------------------------------------

CORPUS_FILES = sorted(p.name for p in CORPUS.iterdir() if not p.name.startswith("LICENSE")) \
    if CORPUS.is_dir() else []


def test_the_corpus_is_there():
    assert len(CORPUS_FILES) == 132, f"{CORPUS} should hold calamine's 132 test spreadsheets"


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_calamine_corpus_file_is_rejected_cleanly(db, name):
    path = CORPUS / name
    before = table_counts(db)
    outcome = ingest_path(db, path)
    assert outcome.status == "rejected", outcome.report.flat()
    assert outcome.report.errors and all(p.file == name for p in outcome.report.problems)
    assert table_counts(db) == before
