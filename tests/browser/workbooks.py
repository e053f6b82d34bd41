"""Filling a downloaded return template the way a clerk does, with openpyxl."""
from __future__ import annotations

from pathlib import Path

import openpyxl

from etl.read import schema

FILLED = {"service_area_m2": 600, "service_items": 30, "grid_managed": "是", "grid_count": 2, "weak": "否"}


def fill_template(source: Path, target: Path, values: dict | None = None, per_row: dict | None = None) -> Path:
    """Every pre-filled community row gets `values` (and per_row[i] for row i); returns the saved path."""
    book = openpyxl.load_workbook(source)
    ws = book[schema.COMMUNITY_SHEET]
    headers = {f.header: f.name for f in schema.COMMUNITY_FIELDS}
    header_row = next(r for r in range(1, 20) if any(ws.cell(r, c).value == "社区名称" for c in range(1, 30)))
    cols = {headers[ws.cell(header_row, c).value]: c for c in range(1, ws.max_column + 1)
            if ws.cell(header_row, c).value in headers}
    r, i = header_row + 1, 0
    while ws.cell(r, cols["community_code"]).value:
        for name, value in {**(values or FILLED), **((per_row or {}).get(i, {}))}.items():
            ws.cell(r, cols[name]).value = value
        r, i = r + 1, i + 1
    book.save(target)
    return target


def rows_filled(path: Path) -> int:
    ws = openpyxl.load_workbook(path)[schema.COMMUNITY_SHEET]
    return sum(1 for row in ws.iter_rows(values_only=True) if row and isinstance(row[2], str) and row[2].isdigit()
               and len(row[2]) == 12)
