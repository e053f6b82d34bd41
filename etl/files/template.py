"""The county return template (`shequ template`): three sheets derived from etl/read/schema.py."""
from __future__ import annotations

from typing import Any, Sequence

from etl.files.xlsx_writer import (Column, Formats, community_title, leader_title, open_workbook, write_header,
                                    write_rows, write_title_block)
from etl.periods import format_period
from etl.read import schema
from etl.read.schema import Field
from etl.registry import Registry, default_registry

LEADER_ROWS = 200  # rows of the leader sheet that carry the dropdowns
TYPE_ZH = {"text": "文本", "code": "代码（文本）", "number": "数值", "int": "整数", "bool": "是/否", "choice": "选项"}
TYPE_EN = {"text": "text", "code": "code (text)", "number": "number", "int": "whole number", "bool": "yes/no",
           "choice": "choice"}
RULES = (
    "1. 每个社区一行；县（市、区）、乡镇（街道）、社区代码、社区名称、社区类型已按区划名录预填，请勿增删社区。",
    "2. 是/否项填“是”或“否”（下拉选择）。",
    "3. 数值项只填数字，单位见表头：面积为平方米，经费为万元（保留一位小数）。",
    "4. 表格下方可保留“合计”行和“注：”说明行，汇总时自动跳过。",
    "5. “领导包联”表每个领导–社区包联关系一行；每名领导包联1至3个社区，基础薄弱社区须有领导包联。",
    "6. 请勿修改表头、填报单位和报告期。",
)


def columns_for(fields: Sequence[Field]) -> list[Column]:
    """The template's columns for a sheet's fields, in schema order."""
    return [Column(f.name, f.header, f.group, f.width) for f in fields]


def info_rows(county_name: str, period: str) -> list[tuple[str, str]]:
    """The title block's line: 填报单位 on the left, 报告期 on the right."""
    return [(f"填报单位：{county_name}", f"报告期：{format_period(period)}")]


def _validation(f: Field) -> dict[str, Any] | None:
    """The xlsxwriter data validation for a field, with its help as the input message."""
    if f.type == "bool":
        rule: dict[str, Any] = {"validate": "list", "source": ["是", "否"]}
    elif f.type == "choice":
        rule = {"validate": "list", "source": list(f.choices)}
    elif f.type in ("number", "int") and f.min is not None:
        rule = {"validate": "decimal" if f.type == "number" else "integer",
                "criteria": "between" if f.max is not None else ">=", "minimum": f.min}
        if f.max is not None:
            rule["maximum"] = f.max
        else:
            rule["value"] = rule.pop("minimum")
    else:
        rule = {"validate": "any"}
    if f.help_zh:
        rule.update(input_title=f.header[:32], input_message=f.help_zh[:255])
    return rule if rule["validate"] != "any" or f.help_zh else None


def add_validations(ws, columns: Sequence[Column], fields: Sequence[Field], first: int, last: int) -> None:
    """Dropdowns, number ranges and input messages on rows first..last of the columns that are fields."""
    by_name = {f.name: f for f in fields}
    for c, col in enumerate(columns):
        f = by_name.get(col.key)
        rule = _validation(f) if f else None
        if rule and last >= first:
            ws.data_validation(first, c, last, c, rule)


def community_rows(registry: Registry, county_code: str) -> list[dict[str, str]]:
    """The pre-filled identity cells of each registry community of the county."""
    return [{"county": c.county_name, "township": c.township_name, "community_code": c.code,
             "community_name": c.name, "community_kind": c.kind} for c in registry.in_county(county_code)]


def write_notes_sheet(ws, fmt: Formats) -> None:
    """The 填表说明 sheet: one row per field of both sheets, from the schema, then the rules."""
    headers = ("字段", "类型/单位", "是否必填", "说明", "Help (English)", "Field")
    for c, (header, width) in enumerate(zip(headers, (30, 26, 10, 40, 48, 18))):
        ws.set_column(c, c, width)
        ws.write_string(0, c, header, fmt.header)
    row = 1
    for sheet_name, fields in ((schema.COMMUNITY_SHEET, schema.COMMUNITY_FIELDS),
                               (schema.LEADER_SHEET, schema.LEADER_FIELDS)):
        ws.write_string(row, 0, f"【{sheet_name}】", fmt.total)
        row += 1
        for f in fields:
            kind = TYPE_ZH[f.type] + (f"（{f.unit}）" if f.unit else "")
            if f.choices:
                kind += "：" + "、".join(f.choices)
            if f.min is not None:
                kind += f"，{f.min:g}–{f.max:g}" if f.max is not None else f"，≥{f.min:g}"
            values = (f.header, kind, "必填" if f.required else "", f.help_zh, f.help_en or TYPE_EN[f.type], f.name)
            for c, value in enumerate(values):
                ws.write_string(row, c, value, fmt.wrap)
            row += 1
        row += 1
    ws.write_string(row, 0, "填表规则", fmt.total)
    for i, rule in enumerate(RULES, start=row + 1):
        ws.write_string(i, 0, rule)


def write_template(target: Any, county_code: str, period: str, registry: Registry | None = None) -> None:
    """Write the return template of a county and period to a path or a binary file object."""
    registry = (registry or default_registry()).in_force(period)    # the communities of that period's registry
    county_name = registry.counties.get(county_code)
    if county_name is None:
        raise ValueError(f"unknown county code: {county_code}")
    workbook = open_workbook(target, registry.city.name)
    fmt = Formats(workbook)

    columns = columns_for(schema.COMMUNITY_FIELDS)
    ws = workbook.add_worksheet(schema.COMMUNITY_SHEET)
    row = write_title_block(ws, fmt, community_title(registry.city.name), len(columns), info_rows(county_name, period))
    first = write_header(ws, fmt, row, columns)
    rows = community_rows(registry, county_code)
    write_rows(ws, fmt, first, columns, rows)
    code_col = [c.key for c in columns].index("community_code")
    for i, values in enumerate(rows):  # codes as text, so Excel keeps all 12 digits
        ws.write_string(first + i, code_col, values["community_code"], fmt.code)
    add_validations(ws, columns, schema.COMMUNITY_FIELDS, first, first + len(rows) - 1)
    ws.freeze_panes(first, 0)

    leader_columns = columns_for(schema.LEADER_FIELDS)
    ws = workbook.add_worksheet(schema.LEADER_SHEET)
    row = write_title_block(ws, fmt, leader_title(registry.city.name), len(leader_columns), info_rows(county_name, period))
    first = write_header(ws, fmt, row, leader_columns)
    add_validations(ws, leader_columns, schema.LEADER_FIELDS, first, first + LEADER_ROWS - 1)
    names = [c.name for c in registry.in_county(county_code)]
    name_col = [c.key for c in leader_columns].index("community_name")
    if sum(len(n) + 1 for n in names) < 255:  # a list validation holds at most 255 characters
        ws.data_validation(first, name_col, first + LEADER_ROWS - 1, name_col, {"validate": "list", "source": names})
    ws.freeze_panes(first, 0)

    write_notes_sheet(workbook.add_worksheet(schema.NOTES_SHEET), fmt)
    workbook.close()
