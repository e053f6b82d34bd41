"""Exports of the indicator tables, in Chinese or English: a formatted workbook (xlsxwriter) and a CSV that Excel
opens. A missing value is an empty cell that says why (不适用 / 无数据), never text among the numbers."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from etl.compute.indicators import community_table, not_applicable
from etl.compute.scorecard import (NO_DATA as NONE, NOT_APPLICABLE, STANDING_COLOURS, STANDING_MARKS, STANDING_WORDS,
                                   STANDINGS, is_missing, mark_not_applicable, scorecard)
from etl.config import UNITS, indicators, load_settings
from etl.gcpause import cycle_collection_paused
from etl.periods import format_period, period_sort_key
from etl.store import queries
from etl.store.completeness import period_states
from etl.store.db import city_from_db
from etl.registry import City

LEVEL_SHEETS = {"city": "全市", "county": "县（市、区）", "community": "社区"}
LANGS = ("zh", "en")
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
BAND_FILLS = {"green": "#C6EFCE", "amber": "#FFEB9C", "red": "#FFC7CE"}
NEAR_BORDER = "#2E7D32"     # near the target: outlined in green, not filled, so that it never reads as 达标
NO_VALUE_FILL = "#F1F1F1"
NUMBER_FORMATS = {"count": "#,##0", "pct": "0.0", "dec": "#,##0.0"}     # whole counts; one decimal otherwise

# The workbook's words, (Chinese, English), declared once like the dashboard's LABELS (the ETL does not import the
# dashboard). Standings: etl.compute.scorecard's STANDINGS, NOT_APPLICABLE and NONE.
WORDS: dict[str, tuple[str, str]] = {
    "city": ("全市", "City"),
    "county": ("县（市、区）", "Counties"),
    "community": ("社区", "Communities"),
    "scorecard": ("考核评分", "Scorecard"),
    "definitions": ("指标说明", "Definitions"),
    "period": ("报告期", "Period"),
    "area_code": ("区划代码", "Area code"),
    "name": ("名称", "Name"),
    "county_code": ("县（市、区）代码", "County code"),
    "county_name": ("县（市、区）", "County"),
    "rank": ("排名", "Rank"),
    "score": ("得分", "Score"),
    "weighted": ("{name}（权重{weight}）", "{name} (weight {weight})"),
    "standing_of": ("{name}：达标情况", "{name}: standing"),
    **STANDING_WORDS,
    "legend": ("图例", "Legend"),
    "legend_met": ("达到目标值", "the value reaches the target"),
    "legend_near": ("未达到目标值，达到目标值的{green}以上", "below the target, at least {green} of it"),
    "legend_low": ("达到目标值的{amber}至{green}", "{amber} to {green} of the target"),
    "legend_behind": ("低于目标值的{amber}", "under {amber} of the target"),
    "legend_na": ("该指标对此地区不适用（如没有城市社区），不计入得分", "the indicator does not apply to the area "
                  "(e.g. it has no urban community); left out of the score"),
    "legend_none": ("未报送或未填报，不计入得分", "nothing reported; left out of the score"),
    "note_na": ("不适用：该指标对此地区不适用（如没有城市社区）", "Not applicable: the indicator does not apply to this area "
                "(e.g. it has no urban community)"),
    "note_none": ("无数据：未报送或未填报", "No data: nothing reported"),
    "score_note": ("得分 = 各指标完成率（实际值 ÷ 目标值，最高为1）的加权平均 × 100；不计入的指标，其权重按比例分给其余指标。",
                   "Score = weighted mean of achievement (value ÷ target, capped at 1) × 100; an indicator left out "
                   "gives its weight to the others in proportion."),
    "code": ("指标代码", "Code"),
    "indicator": ("指标名称", "Indicator"),
    "other_name": ("Indicator", "指标名称"),
    "unit": ("单位", "Unit"),
    "count_unit": ("个", "count"),
    "target": ("目标值", "Target"),
    "definition": ("口径", "Definition"),
    "other_definition": ("Definition", "口径"),
    "source": ("来源", "Source"),
    "source_text": ("各县（市、区）社区规范化建设情况报表", "County returns on community standardisation "
                    "(各县（市、区）社区规范化建设情况报表)"),
    "incomplete_city": ("{name}（不完整：已报送 {k}/{n}）", "{name} (incomplete: {k} of {n} reported)"),
    "file_stem": ("指标", "indicators"),
    "book_title": ("{city}城乡社区规范化建设指标", "{city}: community standardisation indicators"),
    "all_periods": ("全部", "all"),
}


EXCEL_MAX_ROWS = 1_048_576          # rows in one worksheet, the header included


def word(key: str, lang: str = "zh", **values) -> str:
    """The export's word in the language, with {placeholders} filled."""
    zh, en = WORDS[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def file_name(periods: list[str] | None, fmt: str, lang: str = "zh", city: City | None = None) -> str:
    """指标_2013_2014_2015.xlsx / indicators_2013_2014_2015.xlsx: the periods in time order; the city's name
    first when given (梧州市_指标_2015.xlsx, Wuzhou_indicators_2015.xlsx)."""
    chosen = sorted(set(periods or []), key=period_sort_key) or [word("all_periods", lang)]
    named = "" if city is None else (city.name_en.removesuffix(" City") if lang == "en" else city.name) + "_"
    return f"{named}{word('file_stem', lang)}_{'_'.join(chosen)}.{fmt}"


def _unit(ind, lang: str) -> str:
    return UNITS[ind.unit][1 if lang == "en" else 0]


def _heading(ind, lang: str) -> str:
    """服务用房500㎡以上社区数（个） / Mean service premises (m²); an English count has no unit word."""
    unit = _unit(ind, lang)
    if not unit:
        return ind.name(lang)
    return f"{ind.name(lang)}（{unit}）" if lang != "en" else f"{ind.name(lang)} ({unit})"


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
              basis: str = "current", levels: list[str] | None = None, indicator_ids: list[str] | None = None,
              lang: str = "zh") -> int:
    """Long table, one row per value, UTF-8 with BOM; names and units in the language, and for a city or county
    value that is missing its status (不适用 / 无数据, or Not applicable / No data); returns the number of values."""
    df = _values(engine, periods, basis, levels, indicator_ids)
    names = {i.id: i for i in indicators()}
    stored_levels = set(levels or LEVEL_SHEETS) - {"community"}
    na = _not_applicable(engine, basis, periods) if stored_levels else set()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(["period", "level", "area_code", "area_name", "indicator", "indicator_name", "unit", "value",
                     "status"])
    area_names = _incomplete_city_names(engine, basis, df, _area_names(df, lang), lang).tolist()
    for row, area_name in zip(df.itertuples(index=False), area_names):
        ind = names.get(row.indicator)
        missing = is_missing(row.value)
        status = ""
        if missing and row.level != "community":
            status = word(NOT_APPLICABLE if (row.period, row.area_code, row.indicator) in na else NONE, lang)
        writer.writerow([row.period, row.level, row.area_code, neutralise(area_name), row.indicator,
                         ind.name(lang) if ind else "", _unit(ind, lang) if ind else "",
                         "" if missing else row.value, status])
    data = ("\ufeff" + text.getvalue()).encode("utf-8")
    if isinstance(target, (str, Path)):
        Path(target).write_bytes(data)
    else:
        target.write(data)
    return len(df)


def _incomplete_city_names(engine: Engine, basis: str, frame: pd.DataFrame, names: pd.Series, lang: str) -> pd.Series:
    """The city's name in a period with counties missing says so — "全市（不完整：已报送 1/7）" — so that a row
    copied out of the workbook cannot pass for the city's total."""
    incomplete = {s.period: s for s in period_states(engine, basis) if not s.complete}
    if not incomplete:
        return names
    city_code = city_from_db(engine).code
    out = names.copy()
    for i, (period, code) in enumerate(zip(frame["period"], frame["area_code"].astype(str))):
        state = incomplete.get(period)
        if state is not None and code == city_code:
            out.iloc[i] = word("incomplete_city", lang, name=out.iloc[i], k=len(state.reported),
                               n=len(state.expected))
    return out


def _area_names(long: pd.DataFrame, lang: str) -> pd.Series:
    """The areas' names in the language: the English name where the registry has one (counties, the city), else
    the Chinese (a community's name is its name)."""
    names = long["area_name"].fillna("").astype(str)
    if lang == "en" and "area_name_en" in long:
        english = long["area_name_en"]
        names = english.where(english.notna() & english.astype(str).ne(""), names).astype(str)
    return names


def _not_applicable(engine: Engine, basis: str, periods: list[str] | None) -> set[tuple[str, str, str]]:
    """(period, area_code, indicator) of the city and counties where the indicator does not apply
    (etl.compute.indicators.not_applicable), read period by period as the community sheet is."""
    out: set[tuple[str, str, str]] = set()
    city_code = city_from_db(engine).code
    for period in periods or queries.periods(engine, basis):
        with engine.connect() as conn, cycle_collection_paused():
            rows = queries.community_rows(conn, basis, [period], lineage=False)
            links = queries.link_rows(conn, basis, [period])
        out |= not_applicable(rows, links, city_code=city_code)
    return out


def write_xlsx(engine: Engine, target: str | Path | io.BytesIO, periods: list[str] | None = None,
               basis: str = "current", levels: list[str] | None = None, indicator_ids: list[str] | None = None,
               lang: str = "zh") -> int:
    """A sheet per level (areas × periods by indicators), the scorecard, and the definitions, in the language;
    returns the number of values (areas × indicators)."""
    import xlsxwriter
    lang = lang if lang in LANGS else "zh"
    table = [i for i in indicators() if not indicator_ids or i.id in indicator_ids]
    book = xlsxwriter.Workbook(target, {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False, "constant_memory": True})
    fmt = {
        "head": book.add_format({"bold": True, "text_wrap": True, "valign": "vcenter", "border": 1,
                                 "bg_color": "#DDE4EE"}),
        "text": book.add_format({"quote_prefix": True}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "bold": book.add_format({"bold": True}),
        **{kind: book.add_format({"num_format": code}) for kind, code in NUMBER_FORMATS.items()},
    }
    city = city_from_db(engine)
    book.set_properties({"title": word("book_title", lang, city=city.name if lang == "zh" else city.name_en),
                         "author": city.name + "委组织部"})
    chosen = [level for level in LEVEL_SHEETS if not levels or level in levels]
    scored = "county" in chosen
    na = _not_applicable(engine, basis, periods) if scored or "city" in chosen else set()
    values, county = 0, None
    for level in chosen:
        own = [i for i in table if level in i.levels]
        if level == "community":
            wide = _community_wide(engine, basis, periods, own, lang)
        else:
            stored = _stored(engine, basis, level, periods)
            if level == "county":
                county = stored              # the scorecard's input too: read once
            wide = _wide(stored, own, lang)
            if level == "city":
                wide["area_name"] = _incomplete_city_names(engine, basis, wide, wide["area_name"], lang)
        values += len(wide) * len(own)
        _write_level_sheets(book, fmt, level, wide, own, lang, None if level == "community" else na)
    if scored:   # the scorecard weighs its own indicators, whichever were asked for
        _write_scorecard(book, fmt, county, na, lang)
    _write_definitions(book, fmt, table, lang)
    book.close()
    return values


def _stored(engine: Engine, basis: str, level: str, periods: list[str] | None) -> pd.DataFrame:
    """A stored level's values (city or county), long, for the periods."""
    if periods and len(periods) == 1:
        return queries.indicator_values(engine, basis, periods[0], level)
    part = queries.indicator_values(engine, basis, level=level)
    return part[part["period"].isin(periods)] if periods else part


def _wide(long: pd.DataFrame, table, lang: str = "zh") -> pd.DataFrame:
    """Long values → period, area_code, area_name (in the language), then a column per indicator; by period, then
    area code."""
    long = long[long["indicator"].isin([i.id for i in table])]
    if long.empty:
        return pd.DataFrame(columns=["period", "area_code", "area_name", *(i.id for i in table)])
    wide = (long.assign(area_name=_area_names(long, lang))
            .set_index(["period", "area_code", "area_name", "indicator"])["value"].unstack("indicator").reset_index())
    return queries.sort_periods(wide, ["area_code"]).reindex(
        columns=["period", "area_code", "area_name", *(i.id for i in table)])


def _names(engine: Engine, level: str, lang: str) -> pd.Series:
    """Place code → name in the language (the Chinese where there is no English one)."""
    names = queries.place_names(engine, level)
    if lang != "en":
        return names["name"]
    return names["name_en"].where(names["name_en"].notna() & names["name_en"].astype(str).ne(""), names["name"])


def _community_wide(engine: Engine, basis: str, periods: list[str] | None, table, lang: str = "zh"
                    ) -> pd.DataFrame:
    """The communities' own values with their county, computed wide from their rows period by period (a nation's
    period is 120,000 rows; as a long table it would be 2 million rows to build, sort and unstack again)."""
    columns = ["period", "area_code", "area_name", "county_code", "county_name", *(i.id for i in table)]
    if not table:
        return pd.DataFrame(columns=columns)
    with cycle_collection_paused():
        names, counties = _names(engine, "community", lang), _names(engine, "county", lang)
    parts = []
    for period in sorted(periods or queries.periods(engine, basis), key=period_sort_key):
        with engine.connect() as conn, cycle_collection_paused():
            rows = queries.community_rows(conn, basis, [period], lineage=False)
            links = queries.link_rows(conn, basis, [period])
        wide = community_table(rows, links, table)
        if len(wide):
            wide = wide.rename(columns={"community_code": "area_code"}).sort_values("area_code", kind="stable")
            parts.append(wide.assign(area_name=wide["area_code"].map(names).fillna(""),
                                     county_name=wide["county_code"].map(counties).fillna(""))[columns])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def number_kind(unit: str) -> str:
    """Which of NUMBER_FORMATS a unit's values are shown with."""
    return "count" if unit in ("count", "people", "person_times") else "pct" if unit == "pct" else "dec"


# A level sheet's text columns before the numbers: (column of the wide frame, its heading's word, width).
TEXT_COLUMNS = [("period", "period", 13), ("area_code", "area_code", 13), ("area_name", "name", 18)]
COUNTY_COLUMNS = [("county_code", "county_code", 13), ("county_name", "county_name", 14)]


def _write_level_sheets(book, fmt, level: str, wide: pd.DataFrame, table, lang: str = "zh",
                        na: set | None = None) -> None:
    """A level's sheet, continued on 社区（2）, 社区（3）… when its rows pass Excel's limit: xlsxwriter would
    silently leave out every row after it (a nation's communities over 12 periods are 1.4 million rows)."""
    per_sheet = EXCEL_MAX_ROWS - 1                   # the header takes a row
    name = word(level, lang)
    for n, start in enumerate(range(0, max(len(wide), 1), per_sheet), start=1):
        sheet_name = name if n == 1 else (f"{name} ({n})" if lang == "en" else f"{name}（{n}）")
        _write_level(book, fmt, sheet_name, wide.iloc[start:start + per_sheet], table, lang, na)


def _write_level(book, fmt, sheet_name, wide: pd.DataFrame, table, lang: str = "zh", na: set | None = None) -> None:
    """One sheet of a level. With `na` (the city and counties), each empty value cell carries a note saying
    whether the indicator does not apply there (不适用) or nothing was reported (无数据)."""
    sheet = book.add_worksheet(sheet_name)
    texts = TEXT_COLUMNS + (COUNTY_COLUMNS if "county_code" in wide.columns else [])
    heads = [word(key, lang) for _, key, _ in texts] + [_heading(i, lang) for i in table]
    sheet.write_row(0, 0, heads, fmt["head"])
    sheet.set_row(0, 48)
    sheet.freeze_panes(1, len(TEXT_COLUMNS))
    for c, (_, _, width) in enumerate(texts):
        sheet.set_column(c, c, width)
    first = len(texts)
    for c, ind in enumerate(table, start=first):
        # The number format is the column's: xlsxwriter gives it to the column's unformatted cells, so each row
        # is written in one call without a format per cell.
        sheet.set_column(c, c, 14, fmt[number_kind(ind.unit)])
    if wide.empty:
        return
    rows = _cells(wide, table, [column for column, _, _ in texts], lang)
    quoted = _formula_like(wide, [column for column, _, _ in texts])
    notes = {key: word(f"note_{key}", lang) for key in (NOT_APPLICABLE, NONE)}
    ids = [i.id for i in table]
    write_row, write_string, write_comment = sheet.write_row, sheet.write_string, sheet.write_comment
    keys = zip(wide["period"].tolist(), wide["area_code"].astype(str).tolist())
    for r, (row, (period, code)) in enumerate(zip(rows, keys), start=1):
        write_row(r, 0, row)
        if r in quoted:           # within the row: constant_memory has already written the rows before it
            for c in quoted[r]:
                write_string(r, c, row[c], fmt["text"])
        if na is not None:
            for c in (c for c in range(first, len(row)) if row[c] is None):
                key = NOT_APPLICABLE if (period, code, ids[c - first]) in na else NONE
                write_comment(r, c, notes[key], {"x_scale": 2})
    sheet.autofilter(0, 0, len(wide), len(heads) - 1)


def _cells(wide: pd.DataFrame, table, texts: list[str], lang: str = "zh") -> Iterator[tuple]:
    """Each row's cells as Python values, made column by column: the period's label and the text columns, then
    numbers (None for a value that is undefined, which xlsxwriter leaves out). Rows are zipped as they are written
    rather than held as 120,000 lists at once."""
    labels = wide["period"].map({p: format_period(p, lang) for p in wide["period"].unique()}).tolist()
    text = [wide[column].fillna("").astype(str).tolist() for column in texts[1:]]
    numbers = wide[[i.id for i in table]].to_numpy(dtype=float)
    columns = [np.where(np.isnan(column), None, column.astype(object)).tolist() for column in numbers.T]
    return zip(labels, *text, *columns)


def _formula_like(wide: pd.DataFrame, texts: list[str]) -> dict[int, list[int]]:
    """Sheet row → the text columns (code, names) whose text a spreadsheet could take for a formula."""
    quoted: dict[int, list[int]] = {}
    for c, name in enumerate(texts):
        if c == 0:
            continue                 # the period's label is ours
        hits = wide[name].fillna("").astype(str).str.startswith(_FORMULA_PREFIXES).to_numpy(dtype=bool)
        for r in np.flatnonzero(hits) + 1:
            quoted.setdefault(int(r), []).append(c)
    return quoted


def _standing_formats(book) -> tuple[dict, dict]:
    """Per standing (and 不适用, 无数据): the value cell's format — the colour, and the mark in the number format
    (✓ 100.0), a second cue for colour-blind readers and print — and the word cell's."""
    values, words = {}, {}
    for key in STANDINGS:
        look = ({"border": 1, "border_color": NEAR_BORDER} if key == "near"
                else {"bg_color": BAND_FILLS[STANDING_COLOURS[key]]})
        values[key] = book.add_format({**look, "num_format": f'"{STANDING_MARKS[key]} "0.0'})
        words[key] = book.add_format(look)
    for key in (NOT_APPLICABLE, NONE):
        look = {"bg_color": NO_VALUE_FILL, "font_color": "#6B6B6B", "italic": key == NOT_APPLICABLE}
        values[key] = words[key] = book.add_format(look)
    return values, words


def _write_scorecard(book, fmt, county_values: pd.DataFrame | None, na: set, lang: str = "zh") -> None:
    """Per county and period: rank, score, and per weighted indicator its value (a number, or an empty cell) and
    its standing in words — 达标 only where the value meets the target; then the legend."""
    settings = load_settings()
    sheet = book.add_worksheet(word("scorecard", lang))
    names = {i.id: i for i in indicators()}
    weights = settings.weights
    heads = [word("period", lang), word("county_name", lang), word("rank", lang), word("score", lang)]
    for ind_id, weight in weights.items():
        name = names[ind_id].name(lang)
        heads += [word("weighted", lang, name=name, weight=f"{weight:g}"), word("standing_of", lang, name=name)]
    sheet.write_row(0, 0, heads, fmt["head"])
    sheet.set_row(0, 64)
    sheet.freeze_panes(1, 2)
    sheet.set_column(0, 0, 12)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, len(heads) - 1, 13)
    if county_values is None or county_values.empty:
        return
    card = mark_not_applicable(scorecard(county_values, settings), na)
    area_names = _area_names(county_values, lang).set_axis(county_values["area_code"]).groupby(level=0).first()
    value_formats, word_formats = _standing_formats(book)
    for r, row in enumerate(card.to_dict("records"), start=1):
        sheet.write_string(r, 0, format_period(row["period"], lang))
        name = str(area_names.get(row["area_code"], row["area_code"]))
        sheet.write_string(r, 1, name, fmt["text"] if name.startswith(_FORMULA_PREFIXES) else None)
        if not is_missing(row["rank"]):
            sheet.write_number(r, 2, int(row["rank"]))
        if not is_missing(row["score"]):
            sheet.write_number(r, 3, float(row["score"]), fmt["pct"])
        for n, ind_id in enumerate(weights):
            value, standing = row[ind_id], row[f"{ind_id}_standing"]
            key = standing if standing in STANDINGS or standing == NOT_APPLICABLE else NONE
            col = 4 + 2 * n
            if is_missing(value):
                sheet.write_blank(r, col, None, value_formats[key])
            else:
                sheet.write_number(r, col, float(value), value_formats[key])
            sheet.write_string(r, col + 1, word(key, lang), word_formats[key])
    _write_legend(sheet, fmt, word_formats, len(card) + 2, settings, lang)


def _write_legend(sheet, fmt, word_formats: dict, first: int, settings, lang: str) -> None:
    """The standings' marks and words with what each means, and how the score is made, under the scorecard."""
    shares = {"green": f"{settings.green:.0%}", "amber": f"{settings.amber:.0%}"}
    sheet.write_string(first, 0, word("legend", lang), fmt["bold"])
    for n, key in enumerate((*STANDINGS, NOT_APPLICABLE, NONE), start=first + 1):
        mark = STANDING_MARKS.get(key)
        sheet.write_string(n, 0, f"{mark} {word(key, lang)}" if mark else word(key, lang), word_formats[key])
        sheet.write_string(n, 1, word(f"legend_{key}", lang, **shares))
    sheet.write_string(first + len(STANDINGS) + 3, 0, word("score_note", lang))


def _write_definitions(book, fmt, table, lang: str = "zh") -> None:
    """The indicators' names, units, targets and definitions, in the language and then in the other."""
    sheet = book.add_worksheet(word("definitions", lang))
    keys = ["code", "indicator", "other_name", "unit", "target", "definition", "other_definition", "source"]
    sheet.write_row(0, 0, [word(k, lang) for k in keys], fmt["head"])
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 2, 28)
    sheet.set_column(5, 6, 48, fmt["wrap"])
    sheet.set_column(7, 7, 30, fmt["wrap"])
    other = "zh" if lang == "en" else "en"
    for r, i in enumerate(table, start=1):
        definitions = (i.definition_en, i.definition_zh) if lang == "en" else (i.definition_zh, i.definition_en)
        # An indicator without a target has an empty cell, not text in a column of numbers.
        sheet.write_row(r, 0, [i.id, i.name(lang), i.name(other), _unit(i, lang) or word("count_unit", lang),
                               i.target, *definitions, word("source_text", lang)])
