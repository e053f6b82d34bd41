"""Nothing lost: a load killed with SIGKILL at random points, and many loads at once (threads and processes)."""
from __future__ import annotations

import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select

from etl.store import queries
from etl.store.db import community_return, submission
from etl.compute.indicators import compute
from etl.ingest import ingest_path
from etl.store.recompute import expected_counties
from returns import simple_return, standard_rows

SHEQU = [sys.executable, "-m", "etl"]
COUNTIES = {"450902": "玉州区", "450923": "博白县", "450981": "北流市", "450921": "容县"}


def county_return(tmp_path: Path, county: str, area: float, name: str | None = None) -> Path:
    rows = standard_rows(county, 40, area=area)
    return simple_return(tmp_path / (name or f"{county}_{area}.xlsx"), rows=rows,
                         title=[[f"填报单位：{COUNTIES[county]}", "报告期：2015年"]])


def assert_consistent(engine) -> None:
    """Every submission is whole, at most one counts per county and period (the newest), indicators agree."""
    with engine.connect() as conn:
        subs = pd.DataFrame(conn.execute(select(submission.c.id, submission.c.county_code, submission.c.period,
                                                submission.c.status, submission.c.n_communities,
                                                submission.c.sha256)).fetchall(),
                            columns=["id", "county", "period", "status", "n", "sha256"])
        rows = dict(conn.execute(select(community_return.c.submission_id, func.count())
                                 .group_by(community_return.c.submission_id)).fetchall())
        assert all(rows.get(i, 0) == n for i, n in zip(subs["id"], subs["n"])), "a half-loaded submission"
        assert not subs.duplicated(["county", "period", "sha256"]).any(), "the same file stored twice"
        counting = subs[subs["status"] == "submitted"]
        assert not counting.duplicated(["county", "period"]).any()
        newest = subs.groupby(["county", "period"])["id"].max()
        assert set(counting["id"]) == set(newest), "an older return counts"
        fresh = compute(queries.community_rows(conn), queries.link_rows(conn), expected_counties(conn))
    stored = queries.indicator_values(engine)
    stored = stored[stored["level"] != "community"]
    merged = stored.merge(fresh, on=["period", "level", "area_code", "indicator"], how="outer",
                          suffixes=("_stored", "_fresh"), indicator=True)
    assert (merged["_merge"] == "both").all()
    pd.testing.assert_series_equal(merged["value_stored"], merged["value_fresh"], check_names=False)


def test_a_load_killed_at_random_points_leaves_the_database_whole(engine, db_url, tmp_path):
    paths = [county_return(tmp_path, c, 500 + i) for i, c in enumerate(COUNTIES)]
    rng = random.Random(20151206)
    start = time.monotonic()
    subprocess.run([*SHEQU, "--db", db_url, "ingest", *map(str, paths)], check=True, capture_output=True)
    full = time.monotonic() - start
    for attempt in range(4):
        retry = [county_return(tmp_path, c, 600 + 10 * attempt + i, f"r{attempt}_{c}.xlsx")
                 for i, c in enumerate(COUNTIES)]
        proc = subprocess.Popen([*SHEQU, "--db", db_url, "ingest", *map(str, retry)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, full))
        proc.kill()
        proc.wait()
        assert_consistent(engine)
        done = subprocess.run([*SHEQU, "--db", db_url, "ingest", *map(str, retry), "--format", "json"],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        assert_consistent(engine)
        current = queries.community_rows(engine)
        assert set(current.groupby("county_code")["service_area_m2"].first()) == {
            600 + 10 * attempt + i for i in range(len(COUNTIES))}


def test_many_loads_at_once_in_threads(engine, tmp_path):
    paths = [county_return(tmp_path, c, 300 + 7 * i + 50 * n) for n in range(3) for i, c in enumerate(COUNTIES)]
    paths += paths[:4]                                          # the same files twice: one load, one 'unchanged'
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda p: ingest_path(engine, p), paths))
    statuses = [o.status for o in outcomes]
    assert statuses.count("loaded") == 12 and statuses.count("unchanged") == 4
    assert_consistent(engine)


def test_many_loads_at_once_in_processes(engine, db_url, tmp_path):
    paths = [county_return(tmp_path, c, 300 + 7 * i + 50 * n) for n in range(2) for i, c in enumerate(COUNTIES)]
    procs = [subprocess.Popen([*SHEQU, "--db", db_url, "ingest", str(p)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for p in paths]
    results = [(p.wait(120), p.stdout.read()) for p in procs]
    assert all(code == 0 for code, _ in results), results
    assert len(queries.submissions(engine)) == len(paths)
    assert_consistent(engine)
