"""Writing a return's sheets with xlsxwriter: the title block, a one- or two-row header, rows, totals and notes.

Shared by the template (etl/files/template.py) and the sample generator (etl/files/sample.py), so both lay a return out the
same way. Output is deterministic: the document's created date is fixed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

FIXED_CREATED = datetime(2016, 1, 4, 9, 0, 0)


def community_title(city: str) -> str:
    """The return's community sheet title: 梧州市城乡社区规范化建设情况报表."""
    return f"{city}城乡社区规范化建设情况报表"


def leader_title(city: str) -> str:
    """The return's leader sheet title: 梧州市城乡社区规范化建设领导包联情况表."""
    return f"{city}城乡社区规范化建设领导包联情况表"


def author(city: str) -> str:
    """Who a city's return documents say made them: its party committee's organisation department."""
    return f"{city}委组织部"


@dataclass(frozen=True)
class Column:
    """One column as laid out in a sheet: `key` is a schema field name, or seq / remark / any extra."""

    key: str
    header: str
    group: str = ""
    width: int = 12


@dataclass(frozen=True)
class Formula:
    """A formula cell with the value Excel would have cached for it."""

    text: str
    value: float


def open_workbook(target: Any, city: str) -> xlsxwriter.Workbook:
    """A workbook of the city's on a path or a binary file object, with fixed document properties."""
    workbook = xlsxwriter.Workbook(target, {"strings_to_formulas": False, "strings_to_urls": False,
                                            "strings_to_numbers": False, "in_memory": True})
    workbook.set_properties({"created": FIXED_CREATED, "author": author(city), "title": community_title(city)})
    return workbook


class Formats:
    """The few cell formats a return uses."""

    def __init__(self, workbook: xlsxwriter.Workbook):
        add = workbook.add_format
        self.title = add({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
        self.label = add({"font_size": 11})
        self.header = add({"bold": True, "text_wrap": True, "border": 1, "align": "center", "valign": "vcenter",
                           "bg_color": "#DDEBF7"})
        self.text = add({"border": 1})
        self.code = add({"border": 1, "num_format": "@"})
        self.number = add({"border": 1})
        self.decimal = add({"border": 1, "num_format": "0.0"})
        self.total = add({"bold": True, "border": 1})
        self.total_decimal = add({"bold": True, "border": 1, "num_format": "0.0"})
        self.note = add({"italic": True, "font_color": "#595959"})
        self.wrap = add({"text_wrap": True, "valign": "top", "border": 1})


def write_title_block(ws, fmt: Formats, title: str, ncols: int, info_rows: Sequence[Sequence[str]],
                      blank_after: int = 0) -> int:
    """Merged title on row 0, then info rows (填报单位：…, 报告期：…); returns the next free row."""
    last = max(ncols - 1, 1)
    ws.merge_range(0, 0, 0, last, title, fmt.title)
    ws.set_row(0, 28)
    row = 1
    for texts in info_rows:
        # the first text at the left, any second text towards the right, as clerks lay it out
        for i, text in enumerate(texts):
            col = 0 if i == 0 else max(last - 3, 2)
            ws.write_string(row, col, text, fmt.label)
        row += 1
    return row + blank_after


def write_header(ws, fmt: Formats, row: int, columns: Sequence[Column], two_row: bool = False) -> int:
    """The header row (or two rows with merged group cells); returns the first data row."""
    for c, col in enumerate(columns):
        ws.set_column(c, c, col.width)
    if not two_row:
        ws.set_row(row, 42)
        for c, col in enumerate(columns):
            ws.write_string(row, c, col.header, fmt.header)
        return row + 1
    ws.set_row(row, 24)
    ws.set_row(row + 1, 36)
    c = 0
    while c < len(columns):
        group = columns[c].group
        if not group:
            ws.merge_range(row, c, row + 1, c, columns[c].header, fmt.header)
            c += 1
            continue
        end = c
        while end + 1 < len(columns) and columns[end + 1].group == group:
            end += 1
        if end > c:
            ws.merge_range(row, c, row, end, group, fmt.header)
        else:
            ws.write_string(row, c, group, fmt.header)
        for k in range(c, end + 1):
            ws.write_string(row + 1, k, columns[k].header, fmt.header)
        c = end + 1
    return row + 2


def write_cell(ws, fmt: Formats, row: int, col: int, value: Any, decimal: bool = False) -> None:
    """One cell: text as text (codes stay text), numbers as numbers, Formula with its cached value."""
    if value is None or value == "" or (isinstance(value, float) and value != value):  # None, "" or NaN
        ws.write_blank(row, col, None, fmt.text)
    elif isinstance(value, Formula):
        ws.write_formula(row, col, value.text, fmt.decimal if decimal else fmt.number, value.value)
    elif isinstance(value, bool):
        ws.write_string(row, col, "是" if value else "否", fmt.text)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt.decimal if decimal else fmt.number)
    else:
        ws.write_string(row, col, str(value), fmt.text)


def write_rows(ws, fmt: Formats, row: int, columns: Sequence[Column], rows: Iterable[dict | None],
               decimal_keys: Iterable[str] = ()) -> int:
    """Data rows as dicts keyed by Column.key (None is a blank row); returns the next free row."""
    decimal_keys = set(decimal_keys)
    for values in rows:
        if values is not None:
            for c, col in enumerate(columns):
                write_cell(ws, fmt, row, c, values.get(col.key), col.key in decimal_keys)
        row += 1
    return row


def write_totals(ws, fmt: Formats, row: int, columns: Sequence[Column], first: int, last: int,
                 cached: dict[str, float], label: str = "合计", decimal_keys: Iterable[str] = ()) -> int:
    """A totals row: the label in the first column and =SUM() with cached values under `cached`'s keys."""
    decimal_keys = set(decimal_keys)
    for c, col in enumerate(columns):
        if c == 0:
            ws.write_string(row, c, label, fmt.total)
        elif col.key in cached:
            rng = f"{xl_rowcol_to_cell(first, c)}:{xl_rowcol_to_cell(last, c)}"
            ws.write_formula(row, c, f"=SUM({rng})",
                             fmt.total_decimal if col.key in decimal_keys else fmt.total, cached[col.key])
        else:
            ws.write_blank(row, c, None, fmt.total)
    return row + 1


def write_notes(ws, fmt: Formats, row: int, lines: Sequence[str]) -> int:
    """Notes under the table (注：…, 填表人：…); returns the next free row."""
    for line in lines:
        ws.write_string(row, 0, line, fmt.note)
        row += 1
    return row
