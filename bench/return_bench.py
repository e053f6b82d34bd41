"""The ingest of the sample's real county returns (30–40 rows), as the CLI and a web server's upload job meet it.

`python -m bench.return_bench --runs 3` prints, per run, each file's time through `ingest_path` into a fresh
database (the whole path: checks, the isolated parse, the load), the first file of a process apart (it starts
whatever the isolated parse needs once per process), and the time of one dry-run check in a process forked from
one that has ingested already (a Dash background job forked by the web server).
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from etl.store.db import make_engine
from etl.store.setup import init_db
from etl.ingest import ingest_bytes, ingest_path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = sorted((ROOT / "sample_data").glob("*.xlsx"))


def one_run(folder: Path) -> tuple[float, list[float], float]:
    """(first file, the other files, a forked job's dry-run check), seconds."""
    db = folder / f"r{time.monotonic_ns()}.db"
    engine = make_engine(f"sqlite:///{db}")
    init_db(engine)
    times = []
    for path in SAMPLE:
        start = time.perf_counter()
        outcome = ingest_path(engine, path)
        times.append(time.perf_counter() - start)
        assert outcome.status == "loaded", outcome.report.flat()[:3]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                   # the forked "background job"
        engine.dispose(close=False)
        start = time.perf_counter()
        outcome = ingest_bytes(engine, SAMPLE[-1].read_bytes(), SAMPLE[-1].name, dry_run=True)
        os.write(write, f"{time.perf_counter() - start if outcome.status == 'valid' else -1}".encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    forked = float(os.read(read, 64))
    os.close(read)
    engine.dispose()
    return times[0], times[1:], forked


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.return_bench")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        for n in range(args.runs):
            first, rest, forked = one_run(Path(folder))
            print(f"run {n + 1}: first file {first * 1000:.0f} ms; the other {len(rest)} files "
                  f"{min(rest) * 1000:.0f}–{max(rest) * 1000:.0f} ms (median {statistics.median(rest) * 1000:.0f}); "
                  f"a forked job's check {forked * 1000:.0f} ms", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
