"""One county return from bytes to database: guard, parse (isolated), locate, clean, validate, load."""
from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
from sqlalchemy.engine import Engine

from .config import load_settings
from .db import registry_from_db
from .load import LoadResult, ParsedReturn, ReturnPart, load_return, load_streamed, sha256, terms_of
from .locate import Sheet, Table, county_and_period_from_title, fill_merged, find_table
from .periods import parse_period
from .problems import Problem, Report
from .registry import Registry
from .safety import UnsafeWorkbook, check_workbook
from .schema import COMMUNITY_FIELDS, LEADER_FIELDS
from .validate import check_columns, clean_table, validate_communities, validate_links
from .workbook import EARLY, LATER, Isolated, WorkbookError, read_sheets, run_isolated, scan_ooxml_sheets


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


PART_ROWS = 25_000        # community rows handed to the loader at a time: big enough that a part's overhead is small


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
                 period_hint: str | None = None, on_communities: Callable[[ReturnPart], None] | None = None,
                 part_rows: int = PART_ROWS) -> tuple[ParsedReturn | None, Report]:
    """The pure pipeline over a workbook's sheets: a ParsedReturn when there is no error, and the report.

    `on_communities` is given the community rows part by part (`part_rows` each) as soon as each is valid, so
    the loader stores one while the next is checked; the return may still be rejected after that.
    """
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
    communities = _communities_in_parts(community_table, county, period, registry, report, on_communities,
                                        part_rows)
    if leader_table is None:
        report.add("no-leader-sheet")
        links = validate_links(None, county, registry, report, "", set())
    else:
        check_columns(leader_table, LEADER_FIELDS, report)
        link_records = clean_table(leader_table, LEADER_FIELDS, report)
        links = validate_links(link_records, county, registry, report, leader_table.sheet.name,
                               set(communities["community_code"].tolist()))
    if not report.valid:
        return None, report
    parsed = ParsedReturn(county, period, communities, links, report.warnings)
    parsed.terms = terms_of(parsed)
    return parsed, report


def _communities_in_parts(table: Table, county: str, period: str, registry: Registry, report: Report,
                          on_part: Callable[[ReturnPart], None] | None, part_rows: int) -> pd.DataFrame:
    """The community rows cleaned and validated a part at a time; the problems in the order of a single pass
    (every cell's, then every row's), wherever they were found."""
    sheet = table.sheet.name
    cells, rows = Report(report.file), Report(report.file)
    seen: dict[str, int] = {}
    frames = []
    for start in range(0, max(len(table.data_rows), 1), part_rows):
        part = dataclasses.replace(table, data_rows=table.data_rows[start:start + part_rows])
        cleaned = clean_table(part, COMMUNITY_FIELDS, cells)
        frames.append(validate_communities(cleaned, county, registry, rows, sheet, seen))
        if on_part is not None and report.valid and cells.valid and rows.valid:
            on_part(ReturnPart(county, period, frames[-1]))
    report.problems += cells.problems + rows.problems
    communities = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if communities.empty and report.valid:
        report.add("empty-return", sheet=sheet)
    return communities


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


def parse_content(content: bytes, file_name: str, registry: Registry | Callable[[], Registry],
                  county_hint: str | None = None, period_hint: str | None = None,
                  errors: dict | None = None, early=None) -> tuple[ParsedReturn | None, Report]:
    """Read and validate a workbook's bytes in this process (trusted input, tests); see parse_untrusted.

    `registry` may be a function giving it, called once the sheets are read (the worker's Later). `early` (the
    worker's Early) is handed the community rows in parts as they are found valid; the result then leaves them
    out, since the parent has them.
    """
    sheets = read_sheets(content, errors)
    parsed, report = parse_sheets(sheets, file_name, _resolved(registry), county_hint, period_hint, early)
    if parsed is not None and early is not None and early.sent:
        parsed.communities = None
    return parsed, report


def _resolved(registry: Registry | Callable[[], Registry]) -> Registry:
    return registry() if callable(registry) else registry


_LAST_SENT: list[tuple[Registry, bytes]] = []     # a server checks many uploads against one registry: pickle it once


def _pickled(registry: Registry) -> bytes:
    last = _LAST_SENT[0] if _LAST_SENT else None
    if last is None or last[0] is not registry:
        last = (registry, pickle.dumps(registry, protocol=pickle.HIGHEST_PROTOCOL))
        _LAST_SENT[:] = [last]
    return last[1]


class Parsing:
    """A workbook being read (start_parse): its valid community rows part by part (`parts`), then the result."""

    def __init__(self, file_name: str, done: tuple[ParsedReturn | None, Report] | None = None,
                 worker: Isolated | None = None):
        self.file_name, self._done, self._worker = file_name, done, worker
        self._parts: list[ReturnPart] = []
        self._drained = done is not None

    def first_part(self) -> ReturnPart | None:
        """The first part of the community rows, while the worker goes on; None when it finished without one."""
        if not self._parts and not self._drained:
            self._next()
        return self._parts[0] if self._parts else None

    def parts(self):
        """Every part's rows: those received already, then each as the worker hands it over."""
        yield from (p.communities for p in list(self._parts))
        while self._next():
            yield self._parts[-1].communities

    def cancel(self) -> None:
        """Stop the worker (the load failed): a worker left blocked on handing over a part would never exit."""
        if self._worker is not None:
            self._worker.kill()
            self._drained = True
            if self._done is None:
                self._done = None, _failed(self.file_name, WorkbookError("parse-failed", "cancelled"))

    def _next(self) -> bool:
        part = None if self._drained else self._worker.early()
        if part is None:
            self._drained = True
            return False
        self._parts.append(part)
        return True

    def result(self) -> tuple[ParsedReturn | None, Report]:
        if self._done is None:
            while self._next():          # a valid return's community rows come first, in parts
                pass
            try:
                parsed, report = self._worker.result()
            except WorkbookError as exc:
                parsed, report = None, _failed(self.file_name, exc)
            if parsed is not None and parsed.communities is None:        # handed over in parts
                frames = [p.communities for p in self._parts]
                parsed.communities = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            self._done = parsed, report
        return self._done


def _failed(file_name: str, exc: UnsafeWorkbook | WorkbookError) -> Report:
    report = Report(file_name)
    report.add(exc.code, detail=exc.detail)
    return report


def start_parse(content: bytes, file_name: str, registry: Registry | Callable[[], Registry],
                county_hint: str | None = None, period_hint: str | None = None, max_bytes: int | None = None,
                isolate: bool = True) -> Parsing:
    """The cheap checks, then the parse in a worker process with a memory limit and a timeout.

    While the worker parses, this process gets the registry (`registry` may be a function reading it) and sends
    it over, then scans the sheets' XML for their real extent and error cells (the second core does both for
    free); an absurd extent stops the worker, and the rare file with error cells (#REF!) is parsed again with
    them, so that they are reported where they are.
    """
    if max_bytes is None:
        max_bytes = int(load_settings().max_file_mb * 2**20)
    try:
        check_workbook(content, max_bytes)
        if not isolate:
            return Parsing(file_name, parse_content(content, file_name, _resolved(registry), county_hint, period_hint))
        worker = Isolated(parse_content, content, file_name, LATER, county_hint, period_hint, {}, EARLY)
        try:
            registry = _resolved(registry)
            worker.send_pickled(_pickled(registry))
            errors = scan_ooxml_sheets(content)
        except BaseException:
            worker.kill()
            raise
        if errors:
            worker.kill()
            return Parsing(file_name, run_isolated(parse_content, content, file_name, registry, county_hint,
                                                   period_hint, errors))
        return Parsing(file_name, worker=worker)
    except (UnsafeWorkbook, WorkbookError) as exc:
        return Parsing(file_name, (None, _failed(file_name, exc)))


def parse_untrusted(content: bytes, file_name: str, registry: Registry | Callable[[], Registry],
                    county_hint: str | None = None, period_hint: str | None = None, max_bytes: int | None = None,
                    isolate: bool = True) -> tuple[ParsedReturn | None, Report]:
    """start_parse to the end: the return when it has no error, and the report."""
    return start_parse(content, file_name, registry, county_hint, period_hint, max_bytes, isolate).result()


def ingest_bytes(engine: Engine, content: bytes, file_name: str, *, county_hint: str | None = None,
                 period_hint: str | None = None, dry_run: bool = False, uploaded_by: str = "cli",
                 registry: Registry | None = None, isolate: bool = True) -> Outcome:
    """Validate one return and, unless it is a dry run or has errors, load it in one transaction.

    The community rows are stored as soon as the worker has validated them, while it checks the leader sheet;
    a return rejected after that rolls back.
    """
    parsing = start_parse(content, file_name, registry or (lambda: registry_from_db(engine)),
                          county_hint, period_hint, isolate=isolate)
    first = None if dry_run else parsing.first_part()
    load = None
    if first is not None:
        try:
            load = load_streamed(engine, first.county_code, first.period, parsing.parts(),
                                 lambda: parsing.result()[0], file_name, content, uploaded_by)
        except BaseException:
            parsing.cancel()
            raise
    parsed, report = parsing.result()
    outcome = Outcome(file_name, "rejected", report, report.county_code, report.period, sha256=sha256(content))
    if parsed is None:
        return outcome
    outcome.county_code, outcome.period, outcome.parsed = parsed.county_code, parsed.period, parsed
    outcome.counts = {"communities": len(parsed.communities), "links": len(parsed.links),
                      "warnings": len(report.warnings), "errors": 0}
    if dry_run:
        outcome.status = "valid"
        return outcome
    outcome.load = load or load_return(engine, parsed, file_name, content, uploaded_by)
    outcome.status = outcome.load.status
    return outcome


def ingest_path(engine: Engine, path: str | Path, **options) -> Outcome:
    path = Path(path)
    return ingest_bytes(engine, path.read_bytes(), path.name, **options)


def problems_frame(problems: list[Problem]) -> pd.DataFrame:
    cols = ["file", "sheet", "row", "column", "code", "severity", "message_zh", "message_en"]
    return pd.DataFrame([{k: p.to_dict()[k] for k in cols} for p in problems], columns=cols)
