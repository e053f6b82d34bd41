"""The return template: three sheets derived from the schema, the county's communities pre-filled, dropdowns."""
from __future__ import annotations

import io

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from etl.read import schema
from etl.registry import default_registry
from etl.files.template import write_template

COUNTIES = sorted(default_registry().counties)


@pytest.fixture(scope="module")
def beiliu(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template_450981_2015.xlsx"
    write_template(path, "450981", "2015")
    return openpyxl.load_workbook(path)


def header_row(ws) -> int:
    first = {schema.COMMUNITY_FIELDS[0].header, schema.LEADER_FIELDS[0].header}
    return next(r for r in range(1, 16) if ws.cell(r, 1).value in first)


def test_three_sheets(beiliu):
    assert beiliu.sheetnames == [schema.COMMUNITY_SHEET, schema.LEADER_SHEET, schema.NOTES_SHEET]


def test_title_block_names_county_and_period(beiliu):
    ws = beiliu[schema.COMMUNITY_SHEET]
    assert ws["A1"].value == "玉林市城乡社区规范化建设情况报表"
    assert any(str(r.coord).startswith("A1:") for r in ws.merged_cells.ranges)
    texts = [c.value for row in ws.iter_rows(min_row=2, max_row=header_row(ws) - 1) for c in row if c.value]
    assert "填报单位：北流市" in texts
    assert "报告期：2015年" in texts


def test_one_header_row_in_schema_order(beiliu):
    ws = beiliu[schema.COMMUNITY_SHEET]
    row = header_row(ws)
    assert [c.value for c in ws[row]] == [f.header for f in schema.COMMUNITY_FIELDS]
    ws = beiliu[schema.LEADER_SHEET]
    assert [c.value for c in ws[row]] == [f.header for f in schema.LEADER_FIELDS]


@pytest.mark.parametrize("county", COUNTIES)
def test_communities_prefilled(tmp_path, county):
    path = tmp_path / "t.xlsx"
    write_template(path, county, "2015")
    ws = openpyxl.load_workbook(path)[schema.COMMUNITY_SHEET]
    first = header_row(ws) + 1
    rows = [r for r in ws.iter_rows(min_row=first, values_only=True) if any(v is not None for v in r)]
    expected = default_registry().in_county(county)
    assert len(rows) == len(expected)
    assert [r[2] for r in rows] == [c.code for c in expected]
    assert all(isinstance(r[2], str) and len(r[2]) == 12 for r in rows)  # codes stay text
    assert {r[4] for r in rows} <= set(schema.KINDS)
    assert all(v is None for r in rows for v in r[5:])  # the rest is for the clerk


def _validations(ws) -> dict[str, list]:
    found: dict[str, list] = {}
    for dv in ws.data_validations.dataValidation:
        for cells in str(dv.sqref).split():
            found.setdefault(cells.split(":")[0].rstrip("0123456789"), []).append(dv)
    return found


def test_yes_no_dropdowns(beiliu):
    ws = beiliu[schema.COMMUNITY_SHEET]
    first, n = header_row(ws) + 1, len(default_registry().in_county("450981"))
    found = _validations(ws)
    for i, f in enumerate(schema.COMMUNITY_FIELDS, start=1):
        letter = get_column_letter(i)
        if f.type == "bool":
            (dv,) = found[letter]
            assert dv.type == "list" and dv.formula1 == '"是,否"'
            assert str(dv.sqref) == f"{letter}{first}:{letter}{first + n - 1}"
            assert dv.prompt == f.help_zh
        elif f.type in ("int", "number"):
            assert found[letter][0].type == ("whole" if f.type == "int" else "decimal")


def test_choice_dropdowns(beiliu):
    found = _validations(beiliu[schema.COMMUNITY_SHEET])
    names = [f.name for f in schema.COMMUNITY_FIELDS]
    mode = found[get_column_letter(names.index("build_mode") + 1)][0]
    assert mode.formula1 == '"' + ",".join(schema.BUILD_MODES) + '"'
    leader = _validations(beiliu[schema.LEADER_SHEET])
    assert leader["B"][0].formula1 == '"厅级,县级"'


def test_frozen_panes_below_header(beiliu):
    for name in (schema.COMMUNITY_SHEET, schema.LEADER_SHEET):
        ws = beiliu[name]
        assert ws.freeze_panes == f"A{header_row(ws) + 1}"


def test_column_widths_from_schema(beiliu):
    ws = beiliu[schema.COMMUNITY_SHEET]
    widths = {i: dim.width for dim in ws.column_dimensions.values() for i in range(dim.min, dim.max + 1)}
    for i, f in enumerate(schema.COMMUNITY_FIELDS, start=1):
        assert widths[i] == pytest.approx(f.width, abs=1)


def test_notes_sheet_documents_every_field(beiliu):
    ws = beiliu[schema.NOTES_SHEET]
    rows = list(ws.iter_rows(values_only=True))
    documented = {r[5] for r in rows if len(r) > 5 and r[5]}
    assert {f.name for f in schema.COMMUNITY_FIELDS} <= documented
    assert {f.name for f in schema.LEADER_FIELDS} <= documented
    required = {r[0] for r in rows if r[2] == "必填"}
    assert {f.header for f in schema.COMMUNITY_FIELDS if f.required} <= required
    assert any(r[0] and "合计" in r[0] for r in rows)  # the rules say totals rows may stay


def test_quarter_period_and_file_object():
    buf = io.BytesIO()
    write_template(buf, "450902", "2015Q3")
    ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))[schema.COMMUNITY_SHEET]
    assert "报告期：2015年第三季度" in [c.value for c in ws[2]]


def test_deterministic_bytes():
    a, b = io.BytesIO(), io.BytesIO()
    write_template(a, "450923", "2015")
    write_template(b, "450923", "2015")
    assert a.getvalue() == b.getvalue()


def test_unknown_county_is_refused():
    with pytest.raises(ValueError):
        write_template(io.BytesIO(), "999999", "2015")
