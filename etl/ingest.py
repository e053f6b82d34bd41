"""One county return from bytes to database: guard, parse (isolated), locate, clean, validate, load."""
from __future__ import annotations

import dataclasses
import pickle
import threading
from collections import Counter
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
from .validate import (Cleaned, MatchedLinks, check_columns, clean_table, finish_links, links_frame, match_links,
                       validate_communities)
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


# Community rows handed to the loader at a time. The worker validates a part about as fast as the parent stores
# one, so the parent waits for each next part for about the time the worker spends on it beyond the parent's
# own on the part before: smaller parts wait less, down to where a part's own overhead shows (A/B of a
# 100,000-row ingest, ratio to a calamine parse: 25,000 1.77, 10,000 1.72, 5,000 1.70 with a wider spread).
PART_ROWS = 10_000


def _locate(sheets: list[Sheet], ahead: LeadersAhead | None = None) -> tuple[Table | None, Table | None]:
    find = ahead.find if ahead is not None else find_table
    community = leader = None
    for sheet in sheets:
        if community is None:
            community = find(sheet, COMMUNITY_FIELDS, "community_name")
            if community is not None:
                continue
        if leader is None:
            leader = find(sheet, LEADER_FIELDS, "leader_name")
    return community, leader


@dataclass
class _LeaderSheet:
    table: Table
    problems: list[Problem]             # its columns' and cells' problems
    cleaned: Cleaned
    matched: MatchedLinks | None        # its links matched for the county its title (or most codes) names


class LeadersAhead:
    """Each sheet located as soon as it is read, and a leader sheet cleaned and its links matched then, in the
    thread that read it (`read_sheets(on_sheet=…)`).

    The reader releases the GIL while it parses, so this is done while the far bigger community sheet is still
    being parsed, not after it. The links are matched for the county and period the leader sheet names;
    parse_sheets uses them when the return's county is that one, and matches again otherwise. Given `on_part`,
    the first leader sheet's links are handed over at once, for that county and period, so the loader can store
    them while the community sheet is still being read (`handed_over` says which).
    """

    def __init__(self, file_name: str, registry: Registry | Callable[[], Registry],
                 on_part: Callable[[ReturnPart], None] | None = None):
        self._file, self._registry, self._on_part = file_name, registry, on_part
        self._found: dict[tuple[int, str], Table | None] = {}
        self._leaders: dict[int, _LeaderSheet] = {}
        self._lock = threading.Lock()
        self.handed_over: tuple[Table, str, str] | None = None       # (leader table, county, period)

    def __call__(self, sheet: Sheet) -> None:
        fill_merged(sheet)
        if self.find(sheet, COMMUNITY_FIELDS, "community_name") is not None:
            return
        table = self.find(sheet, LEADER_FIELDS, "leader_name")
        if table is None:
            return
        found = Report(self._file)
        check_columns(table, LEADER_FIELDS, found)
        cleaned = clean_table(table, LEADER_FIELDS, found)
        registry = _resolved(self._registry)
        county, period = _named_in(table, cleaned, registry, self._file)
        matched = match_links(cleaned, county, registry, self._file, sheet.name) if county and len(cleaned) else None
        self._leaders[id(sheet)] = _LeaderSheet(table, found.problems, cleaned, matched)
        if self._on_part is None or matched is None or period is None:
            return
        with self._lock:
            if self.handed_over is None:
                self.handed_over = table, county, period
                self._on_part(ReturnPart(county, period, None, links_frame(matched)))

    def find(self, sheet: Sheet, fields, key_field: str) -> Table | None:
        """find_table, once per sheet and kind of table."""
        key = (id(sheet), key_field)
        if key not in self._found:
            self._found[key] = find_table(sheet, fields, key_field)
        return self._found[key]

    def leader_sheet(self, table: Table) -> _LeaderSheet | None:
        done = self._leaders.get(id(table.sheet))
        return done if done is not None and done.table is table else None


def _named_in(table: Table, cleaned: Cleaned, registry: Registry, file_name: str) -> tuple[str | None, str | None]:
    """The county and period a leader sheet names: its title's, else the county of most of its communities and
    the period of the file's name."""
    county, period = county_and_period_from_title(table.title_lines, registry.county_code_for)
    if county is None:
        by_code = registry.by_code()
        counts = Counter(c.county_code for c in map(by_code.get, cleaned.columns["community_code"]) if c)
        county = counts.most_common(1)[0][0] if counts else None
    return county, period or parse_period(Path(file_name).stem)


def parse_sheets(sheets: list[Sheet], file_name: str, registry: Registry, county_hint: str | None = None,
                 period_hint: str | None = None, on_part: Callable[[ReturnPart], None] | None = None,
                 part_rows: int = PART_ROWS, ahead: LeadersAhead | None = None) -> tuple[ParsedReturn | None, Report]:
    """The pure pipeline over a workbook's sheets: a ParsedReturn when there is no error, and the report.

    `on_part` is given the community rows part by part as soon as each is valid, so the loader stores one while
    the next is checked, then the leader links once the whole return is found valid, unless `ahead` handed those
    very links over already; the return may still be rejected after the first parts. `ahead` has located the
    sheets and prepared (and maybe handed over) the leader sheet's links while they were read.
    """
    report = Report(file_name)
    for sheet in sheets:
        fill_merged(sheet)
    community_table, leader_table = _locate(sheets, ahead)
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
    communities = _communities_in_parts(community_table, county, period, registry, report, on_part, part_rows)
    if leader_table is None:
        report.add("no-leader-sheet")
        links = finish_links(None, set(), report)
    else:
        links = _links(leader_table, county, registry, report, set(communities["community_code"].tolist()),
                       ahead.leader_sheet(leader_table) if ahead is not None else None)
    if not report.valid:
        return None, report
    if on_part is not None and _hand_over_links(links, ahead, leader_table, county, period):
        on_part(ReturnPart(county, period, None, links))
    parsed = ParsedReturn(county, period, communities, links, report.warnings)
    parsed.terms = terms_of(parsed)
    return parsed, report


def _hand_over_links(links: pd.DataFrame, ahead: LeadersAhead | None, table: Table | None, county: str,
                     period: str) -> bool:
    """Whether the loader still needs the return's links: some, and not those LeadersAhead handed over (another
    sheet's, or for another county or period)."""
    done = ahead.handed_over if ahead is not None else None
    if done is None:
        return len(links) > 0
    return done[0] is not table or done[1:] != (county, period)


def _links(table: Table, county: str, registry: Registry, report: Report, reported: set[str],
           done: _LeaderSheet | None) -> pd.DataFrame:
    """The leader sheet's links, matched and finished (validate.match_links, finish_links), with what
    LeadersAhead did while the sheets were read."""
    if done is None:
        check_columns(table, LEADER_FIELDS, report)
        cleaned, matched = clean_table(table, LEADER_FIELDS, report), None
    else:
        report.problems += done.problems
        cleaned, matched = done.cleaned, done.matched
    if matched is None or matched.county_code != county:
        matched = match_links(cleaned, county, registry, report.file, table.sheet.name) if len(cleaned) else None
    return finish_links(matched, reported, report)


def _communities_in_parts(table: Table, county: str, period: str, registry: Registry, report: Report,
                          on_part: Callable[[ReturnPart], None] | None, part_rows: int) -> pd.DataFrame:
    """The community rows cleaned and validated a part at a time; the problems in the order of a single pass
    (every cell's, then every row's), wherever they were found.

    The first part is a fifth of the others, so that the loader starts storing sooner.
    """
    sheet = table.sheet.name
    cells, rows = Report(report.file), Report(report.file)
    seen: dict[str, int] = {}
    frames = []
    first = max(part_rows // 5, 1)
    starts = [0, *range(first, len(table.data_rows), part_rows)] if len(table.data_rows) > first else [0]
    for start, end in zip(starts, [*starts[1:], max(len(table.data_rows), 1)]):
        part = dataclasses.replace(table, data_rows=table.data_rows[start:end])
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

    `registry` may be a function giving it (the worker's Later). `early` (the worker's Early) is handed the
    community rows in parts as they are found valid, then the leader links (parse_sheets' `on_part`); the result
    then leaves out what was handed over, since the parent has it.
    """
    handed_over = set()

    def hand_over(part: ReturnPart) -> None:
        early(part)
        handed_over.add("links" if part.communities is None else "communities")

    ahead = LeadersAhead(file_name, registry, hand_over if early is not None else None)
    sheets = read_sheets(content, errors, on_sheet=ahead)
    parsed, report = parse_sheets(sheets, file_name, _resolved(registry), county_hint, period_hint,
                                  hand_over if early is not None else None, ahead=ahead)
    if parsed is not None:
        parsed.communities = None if "communities" in handed_over else parsed.communities
        parsed.links = None if "links" in handed_over else parsed.links
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
    """A workbook being read (start_parse): its valid rows part by part (`parts`), then the result."""

    def __init__(self, file_name: str, done: tuple[ParsedReturn | None, Report] | None = None,
                 worker: Isolated | None = None):
        self.file_name, self._done, self._worker = file_name, done, worker
        self._parts: list[ReturnPart] = []
        self._drained = done is not None

    def first_part(self) -> ReturnPart | None:
        """The first part of the return's rows, while the worker goes on; None when it finished without one."""
        if not self._parts and not self._drained:
            self._next()
        return self._parts[0] if self._parts else None

    def parts(self):
        """Every part: those received already, then each as the worker hands it over."""
        yield from list(self._parts)
        while self._next():
            yield self._parts[-1]

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
            while self._next():          # a valid return's rows come first, in parts
                pass
            try:
                parsed, report = self._worker.result()
            except WorkbookError as exc:
                parsed, report = None, _failed(self.file_name, exc)
            if parsed is not None:       # put together again from what was handed over
                frames = [p.communities for p in self._parts if p.communities is not None]
                if parsed.communities is None:
                    parsed.communities = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
                if parsed.links is None:         # the last links handed over replace any before them
                    parsed.links = [p.links for p in self._parts if p.links is not None][-1]
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

    The community rows are stored part by part as soon as the worker has validated each, then the leader links
    while it sums the indicator terms; a return rejected after its first parts went in rolls back.
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
