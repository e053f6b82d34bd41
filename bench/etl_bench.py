"""The ETL's benchmarks: ingest of the big workbook beside bare parses, recompute at scale, export beside xlsxwriter."""
from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

import pandas as pd
import python_calamine
import xlsxwriter

from etl.store.db import make_engine
from etl.store.setup import init_db
from etl.config import UNITS, indicators
from etl.files.export import LEVEL_SHEETS, NUMBER_FORMATS, number_kind, write_xlsx
from etl.ingest import ingest_path
from etl.store.load import load_return
from etl.periods import format_period
from etl.store.queries import indicator_values
from etl.store.recompute import recompute
from etl.registry import load_registry_csv

from . import scale as S
from .measure import PeakRSS, median_time

INGEST_PAIRS = 5


def ingest(sc: S.Scale, out: Path, log) -> dict:
    """One county's workbook of sc.ingest_rows communities: shequ end to end, calamine and openpyxl parses."""
    reg = S.registry(sc.ingest_rows, 1, prefix=99)
    csv = S.registry_csv(reg, out / f"registry_{sc.ingest_rows}.csv")
    path = out / f"return_{sc.ingest_rows}.xlsx"
    if not path.exists():
        log(f"writing the {sc.ingest_rows:,}-row workbook …")
        rows = S.values(reg, ["2015"])
        S.write_return(path, reg.communities[0].county_name, "2015年", rows, S.links(rows))
    db = out / "ingest.db"

    def fresh():
        db.unlink(missing_ok=True)
        init_db(make_engine(f"sqlite:///{db}"), load_registry_csv(csv))

    results = {}

    def shequ():
        outcome = ingest_path(make_engine(f"sqlite:///{db}"), path)
        assert outcome.status == "loaded", outcome.report.flat()[:5]
        results["communities"] = outcome.counts["communities"]

    def calamine():   # every sheet of the file, as the reader reads it
        book = python_calamine.load_workbook(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python(skip_empty_area=False)

    # The memory in a run of its own (the sampler thread would take the GIL from the loader's thread), first: the
    # bare parses below leave this process's allocator holding their cells.
    fresh()
    with PeakRSS() as peak:
        shequ()
    # Pairs, each shequ run beside a calamine parse: this machine's speed drifts by a fifth from one minute to
    # the next, and a ratio of neighbours is steadier than a ratio of medians taken minutes apart.
    pairs = []
    for _ in range(INGEST_PAIRS if sc.repeat > 1 else 1):
        pairs.append((median_time(shequ, 1, fresh)[0], median_time(calamine, 1)[0]))
    shequ_s, calamine_s = (statistics.median(p[i] for p in pairs) for i in (0, 1))
    # Every sheet, as shequ and the calamine parse read them (pandas reads only the first unless told).
    openpyxl_s, _ = median_time(lambda: pd.read_excel(path, engine="openpyxl", header=None, sheet_name=None), 1)
    first_sheet_s, _ = median_time(lambda: pd.read_excel(path, engine="openpyxl", header=None), 1)
    return {"rows": results["communities"], "file_mb": round(path.stat().st_size / 2**20, 1),
            "shequ_s": round(shequ_s, 3), "calamine_s": round(calamine_s, 3), "openpyxl_s": round(openpyxl_s, 3),
            "openpyxl_first_sheet_s": round(first_sheet_s, 3),
            "ratio_calamine": round(statistics.median(s / c for s, c in pairs), 2),
            "times_faster_than_openpyxl": round(openpyxl_s / shequ_s, 1), "peak_rss_mb": round(peak.peak_mb, 1)}


def scaled_database(sc: S.Scale, out: Path, log) -> str:
    """The scale's database (N communities × P periods), built once through the real loader and cached."""
    db = out / f"{sc.name}.db"
    url = f"sqlite:///{db}"
    if db.exists():
        return url
    reg = S.registry(sc.communities, sc.counties)
    period_list = S.periods(sc.periods)
    rows = S.values(reg, period_list)
    links = S.links(rows)
    tmp = out / f"{sc.name}.building.db"
    tmp.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{tmp}")
    init_db(engine, reg)
    groups = list(rows.groupby(["period", "county_code"], sort=False))
    link_groups = {k: g for k, g in links.groupby(["period", "county_code"], sort=False)} if len(links) else {}
    started = time.perf_counter()
    for n, ((period, county), group) in enumerate(groups, start=1):
        parsed = S.parsed_return(county, period, group, link_groups.get((period, county), links.head(0)))
        load_return(engine, parsed, f"{period}_{county}.xlsx", f"{period}-{county}".encode(),
                    recompute_indicators=False)
        if n % 200 == 0:
            log(f"  {sc.name}: {n}/{len(groups)} returns loaded ({time.perf_counter() - started:.0f} s)")
    with engine.begin() as conn:
        recompute(conn)
    engine.dispose()
    shutil.move(tmp, db)
    return url


def recompute_bench(sc: S.Scale, url: str) -> dict:
    """Full recompute of every period and basis; then one new county return with its period's recompute."""
    engine = make_engine(url)

    def full():
        with engine.begin() as conn:
            recompute(conn)

    full_s, _ = median_time(full, sc.repeat)
    period_list = S.periods(sc.periods)
    reg = S.registry(sc.communities, sc.counties)
    county = reg.communities[0].county_code
    members = S.Registry(tuple(c for c in reg.communities if c.county_code == county))
    times = []
    for attempt in range(sc.repeat):
        rows = S.values(members, [period_list[-1]], seed=100 + attempt + int(time.time()) % 1000)
        parsed = S.parsed_return(county, period_list[-1], rows, S.links(rows))
        start = time.perf_counter()
        load_return(engine, parsed, "incremental.xlsx", f"incremental-{attempt}-{time.time()}".encode())
        times.append(time.perf_counter() - start)
    return {"full_s": round(full_s, 3), "incremental_s": round(sorted(times)[len(times) // 2], 3)}


def export_bench(sc: S.Scale, url: str, out: Path) -> dict:
    """The latest period's indicator tables to xlsx, beside bare xlsxwriter constant_memory writes of the same cells.

    The bare writes get their cells ready-made (outside the timing): the level sheets as the export lays them out
    (2.1 M cells; the scorecard's and definitions' few thousand are left out), with the same number formats set
    per column (xlsxwriter's cheapest way to format a cell), and once without them, as this bench measured before.
    Runs alternate, so a busy machine slows all three alike; the ratios are also given in CPU time, which another
    process on the machine disturbs less than wall time.
    """
    engine = make_engine(url)
    period = S.periods(sc.periods)[-1]
    sheets = _export_cells(engine, period)
    runs = {"shequ_s": lambda: write_xlsx(engine, out / "export.xlsx", periods=[period]),
            "xlsxwriter_s": lambda: _bare_write(out / "bare.xlsx", sheets, formatted=True),
            "xlsxwriter_unformatted_s": lambda: _bare_write(out / "bare.xlsx", sheets, formatted=False)}
    wall: dict[str, list[float]] = {k: [] for k in runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(sc.repeat):
        for key, run in runs.items():
            started, used = time.perf_counter(), time.process_time()
            run()
            wall[key].append(time.perf_counter() - started)
            cpu[key].append(time.process_time() - used)
    result = {k: round(statistics.median(v), 3) for k, v in wall.items()}
    mid = {k: statistics.median(v) for k, v in cpu.items()}
    result.update(ratio=round(result["shequ_s"] / result["xlsxwriter_s"], 2),
                  ratio_unformatted=round(result["shequ_s"] / result["xlsxwriter_unformatted_s"], 2),
                  ratio_cpu=round(mid["shequ_s"] / mid["xlsxwriter_s"], 2),
                  ratio_unformatted_cpu=round(mid["shequ_s"] / mid["xlsxwriter_unformatted_s"], 2))
    return {**result, "cells": sum(len(heads) + sum(v is not None for row in rows for v in row)
                                   for _, heads, _, rows in sheets), "period": period}


def _export_cells(engine, period: str) -> list[tuple[str, list[str], list[str], list[list]]]:
    """The level sheets' cells from indicator_values: (sheet, header, each number column's format, rows of Python
    values with None where a value is undefined, which xlsxwriter leaves out)."""
    values = indicator_values(engine, period=period)
    label = format_period(period)
    sheets = []
    for level, name in LEVEL_SHEETS.items():
        table = [i for i in indicators() if level in i.levels]
        part = values[values["level"] == level]
        wide = (part.assign(area_name=part["area_name"].fillna(""))
                .set_index(["area_code", "area_name", "indicator"])["value"].unstack("indicator")
                .reindex(columns=[i.id for i in table]).reset_index())
        numbers = wide.iloc[:, 2:].to_numpy(dtype=float)
        rows = [[label, code, area, *(None if v != v else v for v in nums)]
                for code, area, nums in zip(wide["area_code"].tolist(), wide["area_name"].tolist(), numbers.tolist())]
        heads = ["报告期", "区划代码", "名称", *(f"{i.name_zh}（{UNITS[i.unit][0]}）" for i in table)]
        sheets.append((name, heads, [NUMBER_FORMATS[number_kind(i.unit)] for i in table], rows))
    return sheets


def _bare_write(path: Path, sheets, formatted: bool) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_urls": False, "strings_to_numbers": False})   # as the export
    for name, heads, formats, rows in sheets:
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, heads)
        if formatted:
            for c, code in enumerate(formats, start=3):
                sheet.set_column(c, c, 14, book.add_format({"num_format": code}))
        for r, row in enumerate(rows, start=1):
            sheet.write_row(r, 0, row)
    book.close()
