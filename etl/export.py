"""Exports of the indicator tables: a formatted workbook (xlsxwriter) and a CSV that Excel opens in Chinese."""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from . import queries
from .config import UNITS, indicators, load_settings
from .periods import format_period
from .scorecard import LIGHT_MARKS, scorecard

LEVEL_SHEETS = {"city": "全市", "county": "县（市、区）", "community": "社区"}
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
LIGHT_COLOURS = {"green": "#C6EFCE", "amber": "#FFEB9C", "red": "#FFC7CE"}


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
    """A sheet per level (areas × periods by indicators), the scorecard, and the definitions."""
    import xlsxwriter
    df = _values(engine, periods, basis, levels, indicator_ids)
    table = [i for i in indicators() if not indicator_ids or i.id in indicator_ids]
    book = xlsxwriter.Workbook(target, {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False, "constant_memory": True})
    fmt = {
        "head": book.add_format({"bold": True, "text_wrap": True, "valign": "vcenter", "border": 1,
                                 "bg_color": "#DDE4EE"}),
        "text": book.add_format({"quote_prefix": True}),
        "pct": book.add_format({"num_format": "0.0"}), "count": book.add_format({"num_format": "#,##0"}),
        "dec": book.add_format({"num_format": "#,##0.0"}), "wrap": book.add_format({"text_wrap": True,
                                                                                     "valign": "top"}),
    }
    for level, sheet_name in LEVEL_SHEETS.items():
        if levels and level not in levels:
            continue
        part = df[df["level"] == level]
        _write_level(book, fmt, sheet_name, part, [i for i in table if level in i.levels])
    if not levels or "county" in levels:
        _write_scorecard(book, fmt, _values(engine, periods, basis, ["county"]))
    _write_definitions(book, fmt, table)
    book.close()
    return len(df)


def _number_format(fmt: dict, unit: str):
    return fmt["count"] if unit in ("count", "people", "person_times") else fmt["pct"] if unit == "pct" else fmt["dec"]


def _write_level(book, fmt, sheet_name, part: pd.DataFrame, table) -> None:
    sheet = book.add_worksheet(sheet_name)
    heads = ["报告期", "区划代码", "名称"] + [f"{i.name_zh}（{UNITS[i.unit][0]}）" for i in table]
    sheet.write_row(0, 0, heads, fmt["head"])
    sheet.set_row(0, 48)
    sheet.freeze_panes(1, 3)
    sheet.set_column(0, 1, 13)
    sheet.set_column(2, 2, 18)
    sheet.set_column(3, len(heads) - 1, 14)
    if part.empty:
        return
    wide = (part.assign(area_name=part["area_name"].fillna(""))
            .set_index(["period", "area_code", "area_name", "indicator"])["value"].unstack("indicator").reset_index())
    wide = queries.sort_periods(wide, ["area_code"])
    wide = wide.reindex(columns=["period", "area_code", "area_name", *(i.id for i in table)])
    formats = [_number_format(fmt, i.unit) for i in table]
    labels = {p: format_period(p) for p in wide["period"].unique()}
    numbers = wide.iloc[:, 3:].to_numpy(dtype=float)
    present = ~np.isnan(numbers)
    write_number = sheet.write_number
    for r, (period, code, name) in enumerate(wide[["period", "area_code", "area_name"]].itertuples(
            index=False, name=None), start=1):
        sheet.write_string(r, 0, labels[period])
        sheet.write_string(r, 1, code)
        _write_text(sheet, r, 2, name or "", fmt)
        values, known = numbers[r - 1].tolist(), present[r - 1].tolist()
        for c, (value, ok, f) in enumerate(zip(values, known, formats), start=3):
            if ok:
                write_number(r, c, value, f)
    sheet.autofilter(0, 0, len(wide), len(heads) - 1)


def _write_text(sheet, r, c, text: str, fmt) -> None:
    if text.startswith(_FORMULA_PREFIXES):
        sheet.write_string(r, c, text, fmt["text"])
    else:
        sheet.write_string(r, c, text)


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
    lights = {k: book.add_format({"bg_color": v, "num_format": f'"{LIGHT_MARKS[k]} "0.0'})
              for k, v in LIGHT_COLOURS.items()}
    for r, row in enumerate(card.to_dict("records"), start=1):
        sheet.write_string(r, 0, format_period(row["period"]))
        sheet.write_string(r, 1, str(area_names.get(row["area_code"], row["area_code"])))
        sheet.write_number(r, 2, int(row["rank"]))
        sheet.write_number(r, 3, float(row["score"]), fmt["pct"])
        for c, ind_id in enumerate(weights, start=4):
            value, light = row[ind_id], row[f"{ind_id}_light"]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                sheet.write_string(r, c, "—")
            else:
                sheet.write_number(r, c, float(value), lights.get(light, fmt["pct"]))
    sheet.write_string(len(card) + 2, 0, f"交通灯：绿 ≥ {settings.green:.0%} 目标值，黄 ≥ {settings.amber:.0%}，红 低于")


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
