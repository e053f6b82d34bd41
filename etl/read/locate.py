"""Finding the table in a sheet as clerks lay it out: title block, one- or two-row header, data, totals, notes."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from etl.periods import parse_period
from etl.read.clean import is_ignored_header, match_header, text_key
from etl.read.schema import NOTE_MARKERS, TOTAL_MARKERS, Field

HEADER_SEARCH_ROWS = 15
MIN_MATCHED_FIELDS = 3
_COUNTY_LABEL = re.compile(r"(?:填报单位|报送单位|填报县|单位名称|县（市、区）|县\(市、区\))\s*[:：]\s*(\S+)")
_PERIOD_LABEL = re.compile(r"(?:报告期|统计期|报表期|填报期|时间|期间)\s*[:：]\s*(.+)")


@dataclass
class Sheet:
    """A sheet's cells as Excel shows them: rows[i][j] is the cell at Excel row i+1, column j+1."""

    name: str
    rows: list[list]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    hidden: bool = False
    merged_filled: bool = False       # fill_merged has run


@dataclass
class Table:
    """Where a table sits: header rows, the columns that map to fields, the data rows (0-based indices)."""

    sheet: Sheet
    header_rows: tuple[int, ...]
    columns: dict[str, int]                   # field name → column index
    unknown: list[tuple[int, str]]            # (column index, header text) not recognised
    duplicates: list[tuple[int, str]]         # (column index, header text) naming a field already taken
    data_rows: list[int]
    title_lines: list[str]


def fill_merged(sheet: Sheet) -> None:
    """Give every cell of a merged range the value of its top-left cell, as a reader of the sheet sees it."""
    if sheet.merged_filled:
        return
    sheet.merged_filled = True
    height = len(sheet.rows)
    for (r0, c0), (r1, c1) in sheet.merged:
        if r0 >= height:
            continue
        row0 = sheet.rows[r0]
        value = row0[c0] if c0 < len(row0) else ""
        if value == "" or value is None:
            continue
        for r in range(r0, min(r1, height - 1) + 1):
            row = sheet.rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                if row[c] == "" or row[c] is None:
                    row[c] = value


def _match_row(cells: list, fields: tuple[Field, ...]) -> dict[int, str]:
    out = {}
    for j, cell in enumerate(cells):
        if isinstance(cell, str) and cell.strip():
            name = match_header(cell, fields)
            if name:
                out[j] = name
    return out


def _match_two_rows(top: list, bottom: list, fields: tuple[Field, ...]) -> dict[int, str]:
    """A group header over sub-headers: each column is named by its lower cell, its upper cell, or both joined."""
    out = {}
    for j in range(max(len(top), len(bottom))):
        upper = top[j] if j < len(top) else ""
        lower = bottom[j] if j < len(bottom) else ""
        for text in (lower, upper, f"{upper}{lower}"):
            if isinstance(text, str) and text.strip():
                name = match_header(text, fields)
                if name:
                    out[j] = name
                    break
    return out


def _distinct(matches: dict[int, str]) -> int:
    return len(set(matches.values()))


def find_table(sheet: Sheet, fields: tuple[Field, ...], key_field: str) -> Table | None:
    """The table whose header, within the first 15 rows, names the most fields (at least 3, `key_field` among them)."""
    best: tuple[int, tuple[int, ...], dict[int, str]] | None = None
    limit = min(HEADER_SEARCH_ROWS, len(sheet.rows))
    singles = [_match_row(sheet.rows[r], fields) for r in range(min(limit + 1, len(sheet.rows)))]
    for r in range(limit):
        candidates = [((r,), singles[r])]
        if r + 1 < len(singles):
            pair = _match_two_rows(sheet.rows[r], sheet.rows[r + 1], fields)
            # Two rows only when the upper one adds names the lower one lacks (a group over sub-headers).
            if _distinct(pair) > _distinct(singles[r + 1]):
                candidates.append(((r, r + 1), pair))
        for header_rows, matches in candidates:
            score = _distinct(matches)
            if score >= MIN_MATCHED_FIELDS and key_field in matches.values() and (best is None or score > best[0]):
                best = (score, header_rows, matches)
    if best is None:
        return None
    _, header_rows, matches = best
    columns: dict[str, int] = {}
    duplicates = []
    for j in sorted(matches):
        name = matches[j]
        if name in columns:
            duplicates.append((j, _header_text(sheet, header_rows, j)))
        else:
            columns[name] = j
    unknown = []
    for j in range(max(len(sheet.rows[r]) for r in header_rows)):
        text = _header_text(sheet, header_rows, j)
        if j not in matches and text and not is_ignored_header(text):
            unknown.append((j, text))
    first_data = header_rows[-1] + 1
    title_lines = [str(c) for row in sheet.rows[:header_rows[0]] for c in row if isinstance(c, str) and c.strip()]
    return Table(sheet, header_rows, columns, unknown, duplicates, _data_rows(sheet, first_data), title_lines)


def _header_text(sheet: Sheet, header_rows: tuple[int, ...], j: int) -> str:
    parts = []
    for r in header_rows:
        row = sheet.rows[r]
        cell = row[j] if j < len(row) else ""
        text = str(cell).strip() if cell not in ("", None) else ""
        if text and text not in parts:
            parts.append(text)
    return " / ".join(parts)


def _first_text(row: list) -> str:
    for cell in row[:4]:
        if cell.__class__ is str and cell.strip():
            return text_key(cell)
    return ""


_NOTES = tuple(text_key(m) for m in NOTE_MARKERS)
_TOTALS = tuple(text_key(m) for m in TOTAL_MARKERS)
# A row can only be a totals or notes row if its first text starts like one of the markers (after NFKC, spaces
# and case): checking that first character avoids normalising every community name.
_MARKER_STARTS = frozenset(m[0] for m in _NOTES + _TOTALS) | frozenset(m[0].upper() for m in _NOTES + _TOTALS) | {
    "合", "计", "备", "说"}


@lru_cache(maxsize=4096)
def _marker_start(first: str) -> bool:
    return first in _MARKER_STARTS or not first.isascii() and unicodedata.normalize("NFKC", first).lower() in _MARKER_STARTS


def _marker_candidate(row: list) -> bool:
    for cell in row[:4]:
        if cell.__class__ is str:
            text = cell.strip()
            if text:
                return _marker_start(text[0])
    return False


def _data_rows(sheet: Sheet, start: int) -> list[int]:
    """Rows holding data: blank rows and totals rows skipped; reading stops at the notes under the table."""
    out = []
    rows = sheet.rows
    for i in range(start, len(rows)):
        row = rows[i]
        first = row[0] if row else None
        # The common row: its first cell is text starting with a character no marker starts with.
        if first.__class__ is str and first and not first[0].isspace() and not _marker_start(first[0]):
            out.append(i)
            continue
        if row.count("") + row.count(None) == len(row) or all(
                c is None or (c.__class__ is str and not c.strip()) for c in row):
            continue
        if _marker_candidate(row):
            first = _first_text(row)
            if first.startswith(_NOTES):
                break
            if first.startswith(_TOTALS) or first in ("合", "计"):
                continue
        out.append(i)
    return out


def county_and_period_from_title(lines: list[str], county_code_for) -> tuple[str | None, str | None]:
    """The county and period the title block names (填报单位：北流市, 报告期：2015年, or a title naming them)."""
    county = period = None
    for line in lines:
        text = str(line)
        m = _COUNTY_LABEL.search(text)
        if m and county is None:
            county = county_code_for(re.split(r"[\s(（]", m.group(1))[0])
        m = _PERIOD_LABEL.search(text)
        if m and period is None:
            period = parse_period(m.group(1))
    if county is None:
        county = _county_named_in(lines, county_code_for)
    if period is None:
        for line in lines:
            period = parse_period(line)
            if period:
                break
    return county, period


def _county_named_in(lines: list[str], county_code_for) -> str | None:
    from etl.registry import default_registry
    names = getattr(county_code_for, "__self__", default_registry()).counties
    for line in lines:
        for code, name in names.items():
            if name in str(line):
                return code
    return None
