"""Validating a located table row by row against the schema and the registry; every problem is collected."""
from __future__ import annotations

import pandas as pd

from .clean import BadValue, clean_value
from .locate import Table
from .problems import Report, column_letter
from .registry import Registry, community_key, township_key
from .schema import COMMUNITY_FIELDS, LEADER_FIELDS, Field

_TYPE_NAMES = {  # for 'wrong-type' messages: (zh, en) — the message templates take one language each
    "number": "数字", "integer": "整数", "yes/no": "是/否", "code": "12位代码", "choice": "可选值",
}


def _range_text(f: Field) -> str:
    if f.min is not None and f.max is not None:
        return f"{f.min:g}–{f.max:g}"
    if f.min is not None:
        return f"≥ {f.min:g}"
    return f"≤ {f.max:g}"


def clean_table(table: Table, fields: tuple[Field, ...], report: Report) -> list[dict]:
    """Each data row as {field: clean value, '_row': Excel row, '_cols': {field: column letter}}."""
    sheet = table.sheet
    out = []
    for i in table.data_rows:
        cells = sheet.rows[i]
        record: dict = {"_row": i + 1, "_cols": {}}
        for f in fields:
            j = table.columns.get(f.name)
            if j is None:
                record[f.name] = None
                continue
            letter = column_letter(j)
            record["_cols"][f.name] = letter
            raw = cells[j] if j < len(cells) else None
            where = dict(sheet=sheet.name, row=i + 1, column=letter)
            try:
                value = clean_value(raw, f)
            except BadValue as exc:
                what = _TYPE_NAMES.get(exc.what, exc.what)
                if exc.what == "choice":
                    report.add("not-a-choice", value=_show(raw), detail="、".join(f.choices), **where)
                else:
                    report.add("wrong-type", value=_show(raw), detail=f"{what} ({exc.what})", **where)
                value = None
            else:
                if value is None and f.required:
                    report.add("missing-value", detail=f.header, **where)
                elif isinstance(value, (int, float)) and not isinstance(value, bool) and (
                        (f.min is not None and value < f.min) or (f.max is not None and value > f.max)):
                    report.add("out-of-range", value=f"{value:g}", detail=f"{f.header}: {_range_text(f)}", **where)
                    value = None
            record[f.name] = value
        out.append(record)
    return out


def _show(raw) -> str:
    text = str(raw)
    return text if len(text) <= 60 else text[:57] + "…"


def check_columns(table: Table, fields: tuple[Field, ...], report: Report) -> bool:
    """Required columns present (error), unknown and duplicate headers (warnings); False when one is missing."""
    header_row = table.header_rows[0] + 1
    ok = True
    for f in fields:
        if f.required and f.name not in table.columns:
            if f.name == "community_code":
                continue
            report.add("missing-column", sheet=table.sheet.name, row=header_row, detail=f.header)
            ok = False
    for j, text in table.duplicates:
        report.add("duplicate-column", sheet=table.sheet.name, row=header_row, column=column_letter(j), detail=text)
    for j, text in table.unknown:
        report.add("unknown-column", sheet=table.sheet.name, row=header_row, column=column_letter(j),
                   detail=_show(text))
    return ok


def match_community(record: dict, county_code: str, registry: Registry, report: Report, sheet: str,
                    code_field: str = "community_code", name_field: str = "community_name",
                    unknown_code: str = "unknown-community"):
    """The registry community a row names (by code, else by name within the county), or None with a problem."""
    by_code = registry.by_code()
    code, name = record.get(code_field), record.get(name_field)
    cols = record["_cols"]
    row = record["_row"]
    if code:
        community = by_code.get(code)
        if community is None:
            report.add(unknown_code, sheet=sheet, row=row, column=cols.get(code_field), value=_show(code))
            return None
        if community.county_code != county_code:
            report.add("community-in-other-county", sheet=sheet, row=row, column=cols.get(code_field),
                       value=f"{code} {community.name}", detail=community.county_name)
            return None
        if name and community_key(name) != community_key(community.name):
            report.add("code-name-mismatch", sheet=sheet, row=row, column=cols.get(name_field),
                       value=_show(name), detail=community.name)
        return community
    if not name:
        return None   # already reported as a missing value
    elsewhere = registry.named(name)
    here = [c for c in elsewhere if c.county_code == county_code]
    if len(here) > 1 and record.get("township"):
        here = [c for c in here if township_key(c.township_name) == township_key(record["township"])] or here
    if len(here) == 1:
        return here[0]
    if elsewhere and not here:
        report.add("community-in-other-county", sheet=sheet, row=row, column=cols.get(name_field), value=_show(name),
                   detail="、".join(sorted({c.county_name for c in elsewhere})))
    else:
        report.add(unknown_code, sheet=sheet, row=row, column=cols.get(name_field), value=_show(name))
    return None


def validate_communities(records: list[dict], county_code: str, registry: Registry, report: Report,
                         sheet: str) -> pd.DataFrame:
    """Registry matching, the county column, duplicates, cross-field rules → one clean row per community."""
    rows, seen = [], {}
    for rec in records:
        cols, row = rec["_cols"], rec["_row"]
        if rec.get("county"):
            given = registry.county_code_for(rec["county"])
            if given != county_code:
                report.add("county-mismatch", sheet=sheet, row=row, column=cols.get("county"),
                           detail=f"{rec['county']} ≠ {registry.counties.get(county_code, county_code)}")
        community = match_community(rec, county_code, registry, report, sheet)
        if rec.get("grid_managed") and rec.get("grid_count") is not None and rec["grid_count"] < 1:
            report.add("grid-count-required", sheet=sheet, row=row, column=cols.get("grid_count"))
        if community is None:
            continue
        if community.code in seen:
            report.add("duplicate-community", sheet=sheet, row=row, column=cols.get("community_name"),
                       value=community.name, detail=str(seen[community.code]))
            continue
        seen[community.code] = row
        if rec.get("township") and township_key(rec["township"]) != township_key(community.township_name):
            report.add("township-mismatch", sheet=sheet, row=row, column=cols.get("township"),
                       value=rec["township"], detail=community.township_name)
        if rec.get("community_kind") and rec["community_kind"] != community.kind:
            report.add("kind-mismatch", sheet=sheet, row=row, column=cols.get("community_kind"),
                       value=rec["community_kind"], detail=community.kind)
        values = {f.name: rec.get(f.name) for f in COMMUNITY_FIELDS if f.name not in ("county", "township")}
        values.update(community_code=community.code, community_name=community.name,
                      township_name=community.township_name, community_kind=community.kind,
                      sheet=sheet, source_row=row)
        rows.append(values)
    if not rows and not report.errors:
        report.add("empty-return", sheet=sheet)
    columns = ["community_code", *(f.name for f in COMMUNITY_FIELDS if f.name not in ("county", "township",
               "community_code")), "township_name", "sheet", "source_row"]
    return pd.DataFrame(rows, columns=columns)


def validate_links(records: list[dict], county_code: str, registry: Registry, report: Report, sheet: str,
                   reported: set[str]) -> pd.DataFrame:
    """Leader links: a registry community of this county each, no duplicates, 1–3 communities per leader."""
    rows, seen, load = [], set(), {}
    for rec in records:
        row, cols = rec["_row"], rec["_cols"]
        if not rec.get("leader_name") or not rec.get("leader_level"):
            continue   # reported as missing values
        community = match_community(rec, county_code, registry, report, sheet,
                                    unknown_code="leader-unknown-community")
        if community is None:
            continue
        key = (rec["leader_name"], rec["leader_level"], community.code)
        if key in seen:
            report.add("duplicate-link", sheet=sheet, row=row, column=cols.get("leader_name"),
                       value=rec["leader_name"])
            continue
        seen.add(key)
        if community.code not in reported:
            report.add("leader-community-not-reported", sheet=sheet, row=row,
                       column=cols.get("community_name") or cols.get("community_code"), value=community.name)
        load.setdefault((rec["leader_name"], rec["leader_level"]), []).append(row)
        rows.append({"leader_name": rec["leader_name"], "leader_level": rec["leader_level"],
                     "leader_post": rec.get("leader_post"), "community_code": community.code,
                     "sheet": sheet, "source_row": row})
    for (name, _level), link_rows in load.items():
        if len(link_rows) > 3:
            report.add("leader-overload", sheet=sheet, row=link_rows[3], value=name, detail=str(len(link_rows)))
    return pd.DataFrame(rows, columns=["leader_name", "leader_level", "leader_post", "community_code", "sheet",
                                       "source_row"])


__all__ = ["clean_table", "check_columns", "validate_communities", "validate_links", "LEADER_FIELDS"]
