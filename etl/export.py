"""Exports of the indicator tables: a formatted workbook (xlsxwriter) and a CSV that Excel opens in Chinese."""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from . import queries
from .config import UNITS, indicators, load_settings
from .gcpause import cycle_collection_paused
from .indicators import community_table
from .periods import format_period, period_sort_key
from .scorecard import STANDING_COLOURS, STANDING_MARKS, scorecard

LEVEL_SHEETS = {"city": "全市", "county": "县（市、区）", "community": "社区"}
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
BAND_FILLS = {"green": "#C6EFCE", "amber": "#FFEB9C", "red": "#FFC7CE"}
NUMBER_FORMATS = {"count": "#,##0", "pct": "0.0", "dec": "#,##0.0"}     # whole counts; one decimal otherwise


EXCEL_MAX_ROWS = 1_048_576          # rows in one worksheet, the header included


def neutralise(value):
    """Text that a spreadsheet could take for a formula, made inert for CSV (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def _values(engine: Engine, periods: list[str] | None, basis: str, levels: list[str] | None = None,
            indicator_ids: list[str] | None = None) -> pd.DataFrame:
    """The values asked for, read level by level and (for communities, computed when read) period by period."""
    parts = []
    for level in levels or list(LEVEL_SHEETS):
        if level == "community":
            for period in periods or queries.periods(engine, basis):
                parts.append(queries.indicator_values(engine, basis, period, "community"))
        else:
            part = queries.indicator_values(engine, basis, level=level)
            parts.append(part[part["period"].isin(periods)] if periods else part)
    parts = [p for p in parts if len(p)]
    if not parts:
        return queries.indicator_values(engine, basis, level="city").head(0)
    df = pd.concat(parts, ignore_index=True)
    if indicator_ids:
        df = df[df["indicator"].isin(indicator_ids)]
    return df


def write_csv(engine: Engine, target: str | Path | io.BytesIO, periods: list[str] | None = None,
              basis: str = "current", levels: list[str] | None = None, indicator_ids: list[str] | None = None) -> int:
    """Long table, one row per value, UTF-8 with BOM; returns the number of values."""
    df = _values(engine, periods, basis, levels, indicator_ids)
    names = {i.id: i for i in indicators()}
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(["period", "level", "area_code", "area_name", "indicator", "indicator_name", "unit", "value"])
    for row in df.itertuples(index=False):
        ind = names.get(row.indicator)
        value = "" if row.value is None or (isinstance(row.value, float) and math.isnan(row.value)) else row.value
        writer.writerow([row.period, row.level, row.area_code, neutralise(row.area_name), row.indicator,
                         ind.name_zh if ind else "", UNITS[ind.unit][0] if ind else "", value])
    data = ("\ufeff" + text.getvalue()).encode("utf-8")
    if isinstance(target, (str, Path)):
        Path(target).write_bytes(data)
    else:
        target.write(data)
    return len(df)


def write_xlsx(engine: Engine, target: str | Path | io.BytesIO, periods: list[str] | None = None,
               basis: str = "current", levels: list[str] | None = None, indicator_ids: list[str] | None = None) -> int:
    """A sheet per level (areas × periods by indicators), the scorecard, and the definitions; returns the number of
    values (areas × indicators)."""
    import xlsxwriter
    table = [i for i in indicators() if not indicator_ids or i.id in indicator_ids]
    book = xlsxwriter.Workbook(target, {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False, "constant_memory": True})
    fmt = {
        "head": book.add_format({"bold": True, "text_wrap": True, "valign": "vcenter", "border": 1,
                                 "bg_color": "#DDE4EE"}),
        "text": book.add_format({"quote_prefix": True}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        **{kind: book.add_format({"num_format": code}) for kind, code in NUMBER_FORMATS.items()},
    }
    values, county = 0, None
    for level, sheet_name in LEVEL_SHEETS.items():
        if levels and level not in levels:
            continue
        own = [i for i in table if level in i.levels]
        if level == "community":
            wide = _community_wide(engine, basis, periods, own)
        else:
            stored = _stored(engine, basis, level, periods)
            if level == "county":
                county = stored              # the scorecard's input too: read once
            wide = _wide(stored, own)
        values += len(wide) * len(own)
        _write_level_sheets(book, fmt, sheet_name, wide, own)
    if not levels or "county" in levels:   # the scorecard weighs its own indicators, whichever were asked for
        _write_scorecard(book, fmt, county if county is not None else _stored(engine, basis, "county", periods))
    _write_definitions(book, fmt, table)
    book.close()
    return values


def _stored(engine: Engine, basis: str, level: str, periods: list[str] | None) -> pd.DataFrame:
    """A stored level's values (city or county), long, for the periods."""
    if periods and len(periods) == 1:
        return queries.indicator_values(engine, basis, periods[0], level)
    part = queries.indicator_values(engine, basis, level=level)
    return part[part["period"].isin(periods)] if periods else part


def _wide(long: pd.DataFrame, table) -> pd.DataFrame:
    """Long values → period, area_code, area_name, then a column per indicator; by period, then area code."""
    long = long[long["indicator"].isin([i.id for i in table])]
    if long.empty:
        return pd.DataFrame(columns=["period", "area_code", "area_name", *(i.id for i in table)])
    wide = (long.assign(area_name=long["area_name"].fillna(""))
            .set_index(["period", "area_code", "area_name", "indicator"])["value"].unstack("indicator").reset_index())
    return queries.sort_periods(wide, ["area_code"]).reindex(
        columns=["period", "area_code", "area_name", *(i.id for i in table)])


def _community_wide(engine: Engine, basis: str, periods: list[str] | None, table) -> pd.DataFrame:
    """The communities' own values, computed wide from their rows period by period (a nation's period is 120,000
    rows; as a long table it would be 2 million rows to build, sort and unstack again)."""
    columns = ["period", "area_code", "area_name", *(i.id for i in table)]
    if not table:
        return pd.DataFrame(columns=columns)
    with cycle_collection_paused():
        names = queries.place_names(engine, "community")["name"]
    parts = []
    for period in sorted(periods or queries.periods(engine, basis), key=period_sort_key):
        with engine.connect() as conn, cycle_collection_paused():
            rows = queries.community_rows(conn, basis, [period], lineage=False)
            links = queries.link_rows(conn, basis, [period])
        wide = community_table(rows, links, table)
        if len(wide):
            wide = wide.rename(columns={"community_code": "area_code"}).sort_values("area_code", kind="stable")
            parts.append(wide.assign(area_name=wide["area_code"].map(names).fillna(""))[columns])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def number_kind(unit: str) -> str:
    """Which of NUMBER_FORMATS a unit's values are shown with."""
    return "count" if unit in ("count", "people", "person_times") else "pct" if unit == "pct" else "dec"


def _write_level_sheets(book, fmt, sheet_name, wide: pd.DataFrame, table) -> None:
    """A level's sheet, continued on 社区（2）, 社区（3）… when its rows pass Excel's limit: xlsxwriter would
    silently leave out every row after it (a nation's communities over 12 periods are 1.4 million rows)."""
    per_sheet = EXCEL_MAX_ROWS - 1                   # the header takes a row
    for n, start in enumerate(range(0, max(len(wide), 1), per_sheet), start=1):
        _write_level(book, fmt, sheet_name if n == 1 else f"{sheet_name}（{n}）", wide.iloc[start:start + per_sheet],
                     table)


def _write_level(book, fmt, sheet_name, wide: pd.DataFrame, table) -> None:
    sheet = book.add_worksheet(sheet_name)
    heads = ["报告期", "区划代码", "名称"] + [f"{i.name_zh}（{UNITS[i.unit][0]}）" for i in table]
    sheet.write_row(0, 0, heads, fmt["head"])
    sheet.set_row(0, 48)
    sheet.freeze_panes(1, 3)
    sheet.set_column(0, 1, 13)
    sheet.set_column(2, 2, 18)
    for c, ind in enumerate(table, start=3):
        # The number format is the column's: xlsxwriter gives it to the column's unformatted cells, so each row
        # is written in one call without a format per cell.
        sheet.set_column(c, c, 14, fmt[number_kind(ind.unit)])
    if wide.empty:
        return
    rows = _cells(wide, table)
    quoted = _formula_like(wide)
    write_row, write_string = sheet.write_row, sheet.write_string
    for r, row in enumerate(rows, start=1):
        write_row(r, 0, row)
        if r in quoted:           # within the row: constant_memory has already written the rows before it
            for c in quoted[r]:
                write_string(r, c, row[c], fmt["text"])
    sheet.autofilter(0, 0, len(wide), len(heads) - 1)


def _cells(wide: pd.DataFrame, table) -> Iterator[tuple]:
    """Each row's cells as Python values, made column by column: the label, code, name, then numbers (None for a
    value that is undefined, which xlsxwriter leaves out). Rows are zipped as they are written rather than held
    as 120,000 lists at once."""
    labels = wide["period"].map({p: format_period(p) for p in wide["period"].unique()}).tolist()
    numbers = wide[[i.id for i in table]].to_numpy(dtype=float)
    columns = [np.where(np.isnan(column), None, column.astype(object)).tolist() for column in numbers.T]
    return zip(labels, wide["area_code"].astype(str).tolist(), wide["area_name"].fillna("").astype(str).tolist(),
               *columns)


def _formula_like(wide: pd.DataFrame) -> dict[int, list[int]]:
    """Sheet row → the text columns (code, name) whose text a spreadsheet could take for a formula."""
    quoted: dict[int, list[int]] = {}
    for c, name in ((1, "area_code"), (2, "area_name")):
        hits = wide[name].fillna("").astype(str).str.startswith(_FORMULA_PREFIXES).to_numpy(dtype=bool)
        for r in np.flatnonzero(hits) + 1:
            quoted.setdefault(int(r), []).append(c)
    return quoted


def _write_scorecard(book, fmt, county_values: pd.DataFrame) -> None:
    settings = load_settings()
    sheet = book.add_worksheet("考核评分")
    names = {i.id: i for i in indicators()}
    weights = settings.weights
    heads = ["报告期", "县（市、区）", "排名", "得分"] + [f"{names[i].name_zh}（权重{w:g}）" for i, w in weights.items()]
    sheet.write_row(0, 0, heads, fmt["head"])
    sheet.set_row(0, 48)
    sheet.freeze_panes(1, 2)
    sheet.set_column(0, len(heads) - 1, 14)
    if county_values.empty:
        return
    card = scorecard(county_values, settings)
    area_names = county_values.drop_duplicates("area_code").set_index("area_code")["area_name"]
    # The colour and a mark in the number format (✓ 100.0): a second cue for colour-blind readers and print.
    lights = {k: book.add_format({"bg_color": BAND_FILLS[STANDING_COLOURS[k]], "num_format": f'"{mark} "0.0'})
              for k, mark in STANDING_MARKS.items()}
    for r, row in enumerate(card.to_dict("records"), start=1):
        sheet.write_string(r, 0, format_period(row["period"]))
        name = str(area_names.get(row["area_code"], row["area_code"]))
        sheet.write_string(r, 1, name, fmt["text"] if name.startswith(_FORMULA_PREFIXES) else None)
        sheet.write_number(r, 2, int(row["rank"]))
        sheet.write_number(r, 3, float(row["score"]), fmt["pct"])
        for c, ind_id in enumerate(weights, start=4):
            value, light = row[ind_id], row[f"{ind_id}_standing"]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                sheet.write_string(r, c, "—")
            else:
                sheet.write_number(r, c, float(value), lights.get(light, fmt["pct"]))
    sheet.write_string(len(card) + 2, 0, f"✓ 达标：达到目标值；≈ 接近：目标值的{settings.green:.0%}以上；"
                                         f"! 偏低：{settings.amber:.0%}至{settings.green:.0%}；✗ 未达标：低于{settings.amber:.0%}")


def _write_definitions(book, fmt, table) -> None:
    sheet = book.add_worksheet("指标说明")
    heads = ["指标代码", "指标名称", "Indicator", "单位", "目标值", "口径", "Definition", "来源"]
    sheet.write_row(0, 0, heads, fmt["head"])
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 2, 28)
    sheet.set_column(5, 6, 48, fmt["wrap"])
    sheet.set_column(7, 7, 30, fmt["wrap"])
    for r, i in enumerate(table, start=1):
        sheet.write_row(r, 0, [i.id, i.name_zh, i.name_en, UNITS[i.unit][0], "" if i.target is None else i.target,
                               i.definition_zh, i.definition_en, "各县（市、区）社区规范化建设情况报表"])
