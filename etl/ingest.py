"""One county return from bytes to database: check_workbook → the parse in an isolated child → locate, clean,
validate → load_return."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
from sqlalchemy.engine import Engine

from etl.config import load_settings
from etl.gcpause import cycle_collection_paused
from etl.periods import parse_period
from etl.read.locate import Sheet, Table, county_and_period_from_title, fill_merged, find_table
from etl.read.problems import Problem, Report
from etl.read.safety import UnreadableWorkbook, check_workbook
from etl.read.schema import COMMUNITY_FIELDS, LEADER_FIELDS
from etl.read.validate import check_columns, clean_table, finish_links, match_links, validate_communities
from etl.read.workbook import Isolated, read_sheets, scan_ooxml_sheets
from etl.registry import Registry
from etl.store.db import registry_from_db
from etl.store.load import LoadResult, ParsedReturn, load_return, sha256, terms_of


@dataclass
class Outcome:
    """What happened to one file: loaded, unchanged, rejected — or, on a dry run, valid."""

    file: str
    status: str
    report: Report
    county_code: str | None = None
    period: str | None = None
    parsed: ParsedReturn | None = None
    load: LoadResult | None = None
    sha256: str = ""
    counts: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"file": self.file, "status": self.status, "county": self.county_code, "period": self.period,
                "sha256": self.sha256, "submission_id": self.load.submission_id if self.load else None,
                "counts": self.counts, "problems": [p.to_dict() for p in self.report.problems]}


def _locate(sheets: list[Sheet]) -> tuple[Table | None, Table | None]:
    community = leader = None
    for sheet in sheets:
        if community is None:
            community = find_table(sheet, COMMUNITY_FIELDS, "community_name")
            if community is not None:
                continue
        if leader is None:
            leader = find_table(sheet, LEADER_FIELDS, "leader_name")
    return community, leader


def parse_sheets(sheets: list[Sheet], file_name: str, registry: Registry, county_hint: str | None = None,
                 period_hint: str | None = None) -> tuple[ParsedReturn | None, Report]:
    """The pure pipeline over a workbook's sheets: a ParsedReturn when there is no error, and the report."""
    report = Report(file_name)
    for sheet in sheets:
        fill_merged(sheet)
    community_table, leader_table = _locate(sheets)
    if community_table is None:
        report.add("no-table")
        return None, report
    for table in (community_table, leader_table):
        if table is not None and table.sheet.hidden:
            report.add("hidden-sheet", sheet=table.sheet.name, value=table.sheet.name)
    columns_ok = check_columns(community_table, COMMUNITY_FIELDS, report)
    county, period = _county_and_period(community_table, leader_table, registry, file_name, county_hint,
                                        period_hint, report)
    report.county_code, report.period = county, period
    if not columns_ok or county is None or period is None:
        return None, report
    registry = registry.in_force(period)     # a 2015 return against 2015's registry, a 2016 one against 2016's
    sheet = community_table.sheet.name
    cleaned = clean_table(community_table, COMMUNITY_FIELDS, report)
    communities = validate_communities(cleaned, county, registry, report, sheet)
    if communities.empty and report.valid:
        report.add("empty-return", sheet=sheet)
    if leader_table is None:
        report.add("no-leader-sheet")
        links = finish_links(None, set(), report)
    else:
        links = _links(leader_table, county, registry, report, set(communities["community_code"].tolist()))
    if not report.valid:
        return None, report
    _missing_communities(communities, county, registry, report, sheet)
    parsed = ParsedReturn(county, period, communities, links, report.warnings)
    parsed.terms = terms_of(parsed)
    return parsed, report


MISSING_NAMED = 10      # communities a communities-missing warning names; the rest are counted


def _missing_communities(communities: pd.DataFrame, county: str, registry: Registry, report: Report,
                         sheet: str) -> None:
    """The county's communities in the period's registry that the return leaves out: one warning naming them."""
    reported = set(communities["community_code"])
    missing = [c.name for c in registry.in_county(county) if c.code not in reported]
    if missing:
        named = "、".join(missing[:MISSING_NAMED])
        more = len(missing) - MISSING_NAMED
        report.add("communities-missing", sheet=sheet, value=str(len(missing)),
                   detail=named + (f"等（另有{more}个）" if more > 0 else ""),
                   detail_en=", ".join(missing[:MISSING_NAMED]) + (f" and {more} more" if more > 0 else ""))


def _links(table: Table, county: str, registry: Registry, report: Report, reported: set[str]) -> pd.DataFrame:
    """The leader sheet's links: its columns and cells checked, then matched to the county's communities."""
    check_columns(table, LEADER_FIELDS, report)
    cleaned = clean_table(table, LEADER_FIELDS, report)
    matched = match_links(cleaned, county, registry, report.file, table.sheet.name) if len(cleaned) else None
    return finish_links(matched, reported, report)


def _county_and_period(table: Table, leader_table: Table | None, registry: Registry, file_name: str,
                       county_hint: str | None, period_hint: str | None, report: Report):
    """From the title block (either sheet's); the form's values must agree; the county column as a fallback."""
    county, period = county_and_period_from_title(table.title_lines, registry.county_code_for)
    if leader_table is not None and (county is None or period is None):
        c2, p2 = county_and_period_from_title(leader_table.title_lines, registry.county_code_for)
        county, period = county or c2, period or p2
    if county is None:
        j = table.columns.get("county")
        named = {registry.county_code_for(str(table.sheet.rows[i][j])) for i in table.data_rows
                 if j is not None and j < len(table.sheet.rows[i]) and table.sheet.rows[i][j] not in ("", None)}
        if len(named) == 1 and None not in named:
            county = named.pop()
    if period is None:
        period = parse_period(Path(file_name).stem)
    sheet = table.sheet.name
    if county_hint:
        hint = registry.county_code_for(county_hint)
        if county and hint != county:
            report.add("county-mismatch", sheet=sheet,
                       detail=f"workbook {registry.counties.get(county, county)} ≠ form {county_hint}")
            return None, period
        county = county or hint
    if period_hint:
        if period and parse_period(period_hint) != period:
            report.add("period-mismatch", sheet=sheet, detail=f"workbook {period} ≠ form {period_hint}")
            return county, None
        period = period or parse_period(period_hint)
    if county is None:
        report.add("no-county", sheet=sheet)
    if period is None:
        report.add("no-period", sheet=sheet)
    return county, period


def parse_content(content: bytes, file_name: str, registry: Registry, county_hint: str | None = None,
                  period_hint: str | None = None, errors: dict | None = None) -> tuple[ParsedReturn | None, Report]:
    """Read and validate a workbook's bytes in this process (trusted input, tests); see parse_untrusted.

    `errors` is the XML scan's result when the caller has made it (read_sheets scans otherwise)."""
    return parse_sheets(read_sheets(content, errors), file_name, registry, county_hint, period_hint)


def _failed(file_name: str, exc: UnreadableWorkbook) -> Report:
    report = Report(file_name)
    report.add(exc.code, detail=exc.detail)
    return report


def parse_untrusted(content: bytes, file_name: str, registry: Registry | Callable[[], Registry],
                    county_hint: str | None = None, period_hint: str | None = None, max_bytes: int | None = None,
                    isolate: bool = True) -> tuple[ParsedReturn | None, Report]:
    """The cheap checks, the parse in a child process with a memory limit and a timeout, then locate, clean and
    validate here: the return when it has no error, and the report.

    The child starts (imports the reader) while this process scans the sheets' XML for their real extent and
    error cells; an absurd extent ends it before it reads a byte of the workbook.
    """
    if max_bytes is None:
        max_bytes = int(load_settings().max_file_mb * 2**20)
    try:
        check_workbook(content, max_bytes)
        if not isolate:
            return parse_content(content, file_name, _resolved(registry), county_hint, period_hint)
        with Isolated(read_sheets) as child:
            errors = scan_ooxml_sheets(content)
            # A big return's cells are millions of tracked objects: the collector would walk them again and again.
            with cycle_collection_paused():
                sheets = child.call(content, errors)
                return parse_sheets(sheets, file_name, _resolved(registry), county_hint, period_hint)
    except UnreadableWorkbook as exc:
        return None, _failed(file_name, exc)


def _resolved(registry: Registry | Callable[[], Registry]) -> Registry:
    return registry() if callable(registry) else registry


def ingest_bytes(engine: Engine, content: bytes, file_name: str, *, county_hint: str | None = None,
                 period_hint: str | None = None, dry_run: bool = False, uploaded_by: str = "cli",
                 registry: Registry | None = None, isolate: bool = True, max_bytes: int | None = None) -> Outcome:
    """Check, parse (isolated) and validate one return; unless it is a dry run or has errors, load it in one
    transaction (load_return). `max_bytes`: the size limit, when the caller's settings decide it (the settings'
    max_file_mb otherwise)."""
    parsed, report = parse_untrusted(content, file_name, registry or (lambda: registry_from_db(engine)),
                                     county_hint, period_hint, max_bytes=max_bytes, isolate=isolate)
    outcome = Outcome(file_name, "rejected", report, report.county_code, report.period, sha256=sha256(content))
    if parsed is None:
        return outcome
    outcome.county_code, outcome.period, outcome.parsed = parsed.county_code, parsed.period, parsed
    outcome.counts = {"communities": len(parsed.communities), "links": len(parsed.links),
                      "warnings": len(report.warnings), "errors": 0}
    if dry_run:
        outcome.status = "valid"
        return outcome
    outcome.load = load_return(engine, parsed, file_name, content, uploaded_by)
    outcome.status = outcome.load.status
    return outcome


def ingest_path(engine: Engine, path: str | Path, **options) -> Outcome:
    path = Path(path)
    return ingest_bytes(engine, path.read_bytes(), path.name, **options)


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    cols = ["file", "sheet", "row", "column", "code", "severity", "message_zh", "message_en"]
    return pd.DataFrame([{k: p.to_dict()[k] for k in cols} for p in problems], columns=cols)
