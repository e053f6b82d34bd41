"""Validating a located table row by row against the schema and the registry; every problem is collected."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from etl.periods import format_effective
from etl.read.clean import clean_column
from etl.read.locate import Table
from etl.read.problems import Problem, Report, column_letter
from etl.read.schema import COMMUNITY_FIELDS, LEADER_FIELDS, Field
from etl.registry import Registry, Retired, community_key, county_name_en, township_key


@dataclass
class Cleaned:
    """A table's clean values by column: columns[field][k] belongs to Excel row rows[k]."""

    sheet: str
    rows: list[int]
    columns: dict[str, list]
    letters: dict[str, str]

    def __len__(self) -> int:
        return len(self.rows)

    def record(self, k: int) -> dict:
        """Row k as a dict (with '_row' and '_cols'), for the rare rows that need a closer look."""
        return {**{name: values[k] for name, values in self.columns.items()}, "_row": self.rows[k],
                "_cols": self.letters}


def clean_table(table: Table, fields: tuple[Field, ...], report: Report) -> Cleaned:
    """Every field's column cleaned at once; the problems are reported in the order of the sheet's cells."""
    sheet = table.sheet
    grid, data_rows = sheet.rows, table.data_rows
    found: list[tuple[int, int, str, dict]] = []
    columns: dict[str, list] = {}
    letters: dict[str, str] = {}
    width = max((len(grid[i]) for i in data_rows), default=0)
    data = [grid[i] if len(grid[i]) == width else grid[i] + [None] * (width - len(grid[i])) for i in data_rows]
    by_column = list(zip(*data)) if data else []          # one transpose, in C, instead of a pass per column
    for f in fields:
        j = table.columns.get(f.name)
        if j is None or j >= width:
            columns[f.name] = [None] * len(data_rows)
            if j is not None:
                letters[f.name] = column_letter(j)
            continue
        letters[f.name] = column_letter(j)
        values, bad = clean_column(by_column[j], f)
        for k, code, value, detail in bad:
            found.append((data_rows[k], j, code, dict(value=value, detail=detail)))
        columns[f.name] = values
    for i, j, code, extra in sorted(found, key=lambda x: (x[0], x[1])):
        report.add(code, sheet=sheet.name, row=i + 1, column=column_letter(j), **extra)
    return Cleaned(sheet.name, [i + 1 for i in data_rows], columns, letters)


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
        if community is None and registry.retired_code(code) is not None:
            past = registry.retired_code(code)
            return _retired(past, f"{code} {past.name}", county_code, report, sheet, row, cols.get(code_field))
        if community is None:
            report.add(unknown_code, sheet=sheet, row=row, column=cols.get(code_field), value=_show(code),
                       **_suggestions(name, county_code, registry))
            return None
        if community.county_code != county_code:
            report.add("community-in-other-county", sheet=sheet, row=row, column=cols.get(code_field),
                       value=f"{code} {community.name}", detail=community.county_name,
                       detail_en=county_name_en(community.county_code, community.county_name))
            return None
        past = registry.retired_name(name, county_code) if name else None
        if past is not None and [s.code for s in past.successors] == [community.code]:
            return _retired(past, name, county_code, report, sheet, row, cols.get(name_field))
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
    past = registry.retired_name(name, county_code) if not here else None
    if past is not None:
        return _retired(past, name, county_code, report, sheet, row, cols.get(name_field))
    if elsewhere and not here:
        counties = sorted({(c.county_name, c.county_code) for c in elsewhere})
        report.add("community-in-other-county", sheet=sheet, row=row, column=cols.get(name_field), value=_show(name),
                   detail="、".join(name for name, _ in counties),
                   detail_en=", ".join(county_name_en(code, name) for name, code in counties))
    else:
        report.add(unknown_code, sheet=sheet, row=row, column=cols.get(name_field), value=_show(name),
                   **_suggestions(name, county_code, registry))
    return None


def _retired(past: Retired, written: str, county_code: str, report: Report, sheet: str, row: int,
             column: str | None):
    """A code or name no longer in force in the return's period: read as the community it is now (renamed or
    moved: a warning), or an error saying what it became (merged, split, abolished) and since when."""
    when, when_en = format_effective(past.effective, "zh"), format_effective(past.effective, "en")
    after = past.successors
    where = dict(sheet=sheet, row=row, column=column, value=_show(written))
    if len(after) == 1 and (past.change in ("rename", "move") or after[0].code == past.code):
        now = after[0]
        if now.county_code != county_code:
            report.add("community-in-other-county", detail=now.county_name,
                       detail_en=county_name_en(now.county_code, now.county_name), **where)
            return None
        if past.change == "move" and now.name == past.name:
            report.add("renamed", detail=f"{when}调整隶属，现属 {now.township_name}",
                       detail_en=f"moved in {when_en}: now under {now.township_name}", **where)
        else:
            report.add("renamed", detail=f"{when}更名为 {now.name}", detail_en=f"was renamed {now.name} in {when_en}",
                       **where)
        return now
    names = [s.name for s in after]
    if past.change == "merge" and names:
        report.add("community-merged", detail=f"{when}合并为 {names[0]}，请按 {names[0]} 填报",
                   detail_en=f"was merged into {names[0]} in {when_en}: report it as {names[0]}", **where)
    elif names:
        report.add("community-split", detail=f"{when}拆分为 {'、'.join(names)}，请分别填报",
                   detail_en=f"was split into {', '.join(names)} in {when_en}: report each of them", **where)
    else:
        report.add("community-abolished", detail=when, detail_en=when_en, **where)
    return None


def _suggestions(name: str | None, county_code: str, registry: Registry) -> dict[str, str]:
    """The county's communities most like an unknown name, as an unknown-community problem's detail (in Chinese
    and in English); nothing when there is no name or nothing is like it."""
    names = [c.name for c in registry.similar(name, county_code)] if name else []
    return dict(detail="、".join(names), detail_en=", ".join(names)) if names else {}


_community_key = lru_cache(maxsize=65536)(community_key)
_township_key = lru_cache(maxsize=4096)(township_key)
COMMUNITY_COLUMNS = ["community_code", *(f.name for f in COMMUNITY_FIELDS if f.name not in (
    "county", "township", "community_code")), "township_name", "sheet", "source_row"]


def validate_communities(cleaned: Cleaned, county_code: str, registry: Registry, report: Report,
                         sheet: str) -> pd.DataFrame:
    """Registry matching, the county column, duplicates, cross-field rules → one clean row per community.

    Rows that name a community of this county by its code (and the registry's name, or none) take the fast
    path; the others go through match_community, which says what is wrong.
    """
    cols, letters, rows = cleaned.columns, cleaned.letters, cleaned.rows
    found: list[tuple[int, int, str, dict]] = []

    def add(k: int, order: int, code: str, field: str | None, **extra) -> None:
        found.append((rows[k], order, code, dict(sheet=sheet, row=rows[k], column=letters.get(field), **extra)))

    county_name = registry.counties.get(county_code, county_code)
    wrong_county = {t for t in set(cols["county"]) if t and registry.county_code_for(t) != county_code}
    by_code = registry.by_code()
    matched: list = [None] * len(rows)
    seen: dict[str, int] = {}          # community code → the row it was first seen in
    codes, names, towns, kinds = cols["community_code"], cols["community_name"], cols["township"], cols["community_kind"]
    grid, grid_count = cols["grid_managed"], cols["grid_count"]
    for k in range(len(rows)):
        if wrong_county and cols["county"][k] in wrong_county:
            add(k, 0, "county-mismatch", "county", detail=f"{cols['county'][k]} ≠ {county_name}")
        community = by_code.get(codes[k]) if codes[k] else None
        if community is None or community.county_code != county_code or (
                names[k] and names[k] != community.name
                and _community_key(names[k]) != _community_key(community.name)):
            sub = Report(report.file)
            community = match_community(cleaned.record(k), county_code, registry, sub, sheet)
            found += [(rows[k], 1, p.code, dict(sheet=p.sheet, row=p.row, column=p.column, value=p.value,
                                                detail=p.detail, detail_en=p.detail_en)) for p in sub.problems]
        if grid[k] and grid_count[k] is not None and grid_count[k] < 1:
            add(k, 2, "grid-count-required", "grid_count")
        if community is None:
            continue
        if community.code in seen:
            add(k, 3, "duplicate-community", "community_name", value=community.name, detail=str(seen[community.code]))
            continue
        seen[community.code] = rows[k]
        if towns[k] and towns[k] != community.township_name and \
                _township_key(towns[k]) != _township_key(community.township_name):
            add(k, 4, "township-mismatch", "township", value=towns[k], detail=community.township_name)
        if kinds[k] and kinds[k] != community.kind:
            add(k, 5, "kind-mismatch", "community_kind", value=kinds[k], detail=community.kind)
        matched[k] = community
    for _row, _order, code, where in sorted(found, key=lambda x: (x[0], x[1])):
        report.problems.append(Problem(code, file=report.file, **where))
    keep = [k for k, c in enumerate(matched) if c is not None]
    chosen = [matched[k] for k in keep]
    every = len(keep) == len(rows)       # the common case: every row kept, the columns as they are
    data = {f.name: cols[f.name] if every else [cols[f.name][k] for k in keep] for f in COMMUNITY_FIELDS
            if f.name not in ("county", "township", "community_code", "community_name", "community_kind")}
    data.update(community_code=[c.code for c in chosen], community_name=[c.name for c in chosen],
                township_name=[c.township_name for c in chosen], community_kind=[c.kind for c in chosen],
                sheet=sheet, source_row=rows if every else [rows[k] for k in keep])
    return pd.DataFrame(data, columns=COMMUNITY_COLUMNS)


LINK_COLUMNS = ["leader_name", "leader_level", "leader_post", "community_code", "sheet", "source_row"]  # a link as stored


@dataclass
class MatchedLinks:
    """Leader links matched to the county's registry communities, before the return's own community rows are
    known: their problems so far, and where each kept link's "is it in this return?" check goes among them."""

    cleaned: Cleaned
    sheet: str
    county_code: str
    keep: list[int]                  # indices into cleaned
    communities: list                # the registry community of each kept link
    problems: list[Problem]
    checks: list[int]                # for each kept link, the position in `problems` its check reports at


def match_links(cleaned: Cleaned, county_code: str, registry: Registry, file: str, sheet: str) -> MatchedLinks:
    """Leader links, a registry community of this county each, no duplicates, 1–3 communities per leader: the
    part of their validation that needs no community rows, so that it can run while they are still being read
    (finish_links does the rest)."""
    found = Report(file)
    cols, letters, rows = cleaned.columns, cleaned.letters, cleaned.rows
    by_code = registry.by_code()
    names, levels, codes, community_names = (cols["leader_name"], cols["leader_level"], cols["community_code"],
                                             cols["community_name"])
    keep, matched, checks, seen, load = [], [], [], set(), {}
    for k in range(len(rows)):
        if not names[k] or not levels[k]:
            continue   # reported as missing values
        community = by_code.get(codes[k]) if codes[k] else None
        if community is None or community.county_code != county_code or (
                community_names[k] and community_names[k] != community.name
                and _community_key(community_names[k]) != _community_key(community.name)):
            community = match_community(cleaned.record(k), county_code, registry, found, sheet,
                                        unknown_code="leader-unknown-community")
        if community is None:
            continue
        key = (names[k], levels[k], community.code)
        if key in seen:
            found.add("duplicate-link", sheet=sheet, row=rows[k], column=letters.get("leader_name"), value=names[k])
            continue
        seen.add(key)
        checks.append(len(found.problems))
        load.setdefault((names[k], levels[k]), []).append(rows[k])
        keep.append(k)
        matched.append(community)
    for (name, _level), link_rows in load.items():
        if len(link_rows) > 3:
            found.add("leader-overload", sheet=sheet, row=link_rows[3], value=name, detail=str(len(link_rows)))
    return MatchedLinks(cleaned, sheet, county_code, keep, matched, found.problems, checks)


def finish_links(links: MatchedLinks | None, reported: set[str], report: Report) -> pd.DataFrame:
    """The matched links as a frame; their problems to the report, each link to a community the return does not
    report among them, where a single pass would have put it."""
    if links is None:
        return pd.DataFrame(columns=LINK_COLUMNS)
    cleaned = links.cleaned
    letters, rows, sheet = cleaned.letters, cleaned.rows, links.sheet
    done = 0
    for k, community, at in zip(links.keep, links.communities, links.checks):
        if community.code not in reported:
            report.problems += links.problems[done:at]
            done = at
            report.add("leader-community-not-reported", sheet=sheet, row=rows[k],
                       column=letters.get("community_name") or letters.get("community_code"),
                       value=community.name)
    report.problems += links.problems[done:]
    return links_frame(links)


def links_frame(links: MatchedLinks) -> pd.DataFrame:
    """The matched links, one row each (which links are kept does not depend on the return's community rows)."""
    cols, rows, keep = links.cleaned.columns, links.cleaned.rows, links.keep
    return pd.DataFrame({"leader_name": [cols["leader_name"][k] for k in keep],
                         "leader_level": [cols["leader_level"][k] for k in keep],
                         "leader_post": [cols["leader_post"][k] for k in keep],
                         "community_code": [c.code for c in links.communities],
                         "sheet": links.sheet, "source_row": [rows[k] for k in keep]}, columns=LINK_COLUMNS)


__all__ = ["clean_table", "check_columns", "validate_communities", "match_links", "finish_links", "links_frame",
           "MatchedLinks", "LINK_COLUMNS", "LEADER_FIELDS"]
