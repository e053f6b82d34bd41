"""The ETL's benchmarks: ingest of the big workbook beside bare parses, recompute at scale, export beside xlsxwriter."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pandas as pd
import python_calamine
import xlsxwriter

from etl.db import init_db, make_engine
from etl.export import write_xlsx
from etl.ingest import ingest_path
from etl.load import load_return
from etl.queries import indicator_values
from etl.recompute import recompute
from etl.registry import load_registry_csv

from . import scale as S
from .measure import PeakRSS, median_time


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

    with PeakRSS() as peak:
        shequ_s, _ = median_time(shequ, sc.repeat, fresh)
    def calamine():   # every sheet of the file, as the reader reads it
        book = python_calamine.load_workbook(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python(skip_empty_area=False)

    calamine_s, _ = median_time(calamine, sc.repeat)
    openpyxl_s, _ = median_time(lambda: pd.read_excel(path, engine="openpyxl", header=None), 1)
    return {"rows": results["communities"], "file_mb": round(path.stat().st_size / 2**20, 1),
            "shequ_s": round(shequ_s, 3), "calamine_s": round(calamine_s, 3), "openpyxl_s": round(openpyxl_s, 3),
            "peak_rss_mb": round(peak.peak_mb, 1)}


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
    """The latest period's indicator tables to xlsx, beside a bare xlsxwriter constant_memory write of its cells."""
    engine = make_engine(url)
    period = S.periods(sc.periods)[-1]
    shequ_s, _ = median_time(lambda: write_xlsx(engine, out / "export.xlsx", periods=[period]), sc.repeat)
    values = indicator_values(engine, period=period)
    wide = values.set_index(["level", "area_code", "area_name", "indicator"])["value"].unstack("indicator")
    cells = wide.reset_index().to_numpy(dtype=object)

    def bare():
        book = xlsxwriter.Workbook(str(out / "bare.xlsx"), {"constant_memory": True})
        sheet = book.add_worksheet()
        for r, row in enumerate(cells):
            sheet.write_row(r, 0, [None if isinstance(v, float) and v != v else v for v in row])
        book.close()

    bare_s, _ = median_time(bare, sc.repeat)
    return {"shequ_s": round(shequ_s, 3), "xlsxwriter_s": round(bare_s, 3), "cells": int(cells.size),
            "period": period}
