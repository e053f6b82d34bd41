"""The city's briefing as a PDF (dashboard/briefing_pdf.py) at a scale: seconds from the database to the bytes.

`python -m bench.briefing_bench --scale city nation --runs 3` (or `python -m bench --only briefing`). For each
scale's database (bench/scale.py, built once and cached in bench/out/): the first briefing in a fresh process
(`cold_s`: the period's tables read and built, then printed), then `runs` more (`warm_s`, median: the tables
cached per data version, as in a serving process — the HTML built and Chromium's print), the HTML's part of a
warm one, the pages and the file's size.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .scale import SCALES

HERE = Path(__file__).resolve().parent


def pages(pdf: bytes) -> int | None:
    """The PDF's page count (poppler's pdfinfo), None without it."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        try:
            out = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
    return next((int(line.split()[1]) for line in out.splitlines() if line.startswith("Pages:")), None)


def briefing_bench(url: str, runs: int = 3) -> dict:
    """The city's briefing of the latest period, on the current basis (the scaled returns are not approved)."""
    from dashboard.briefing_pdf import briefing_html, briefing_pdf
    from etl.store.db import make_engine
    engine = make_engine(url)
    started = time.perf_counter()
    pdf = briefing_pdf(engine, basis="current")
    cold = time.perf_counter() - started
    warm = []
    for _ in range(runs):
        started = time.perf_counter()
        pdf = briefing_pdf(engine, basis="current")
        warm.append(time.perf_counter() - started)
    started = time.perf_counter()
    briefing_html(engine, basis="current")
    html_s = time.perf_counter() - started
    engine.dispose()
    return {"cold_s": round(cold, 2), "warm_s": round(statistics.median(warm), 2),
            "warm_runs_s": [round(w, 2) for w in warm], "html_s": round(html_s, 2), "pages": pages(pdf),
            "kb": round(len(pdf) / 1024)}


def in_own_process(url: str, runs: int = 3) -> dict:
    """briefing_bench in a fresh process: its first briefing is cold, as a server's first after a data change."""
    code = (f"import json; from bench.briefing_bench import briefing_bench; "
            f"print(json.dumps(briefing_bench({url!r}, {runs})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=HERE.parent)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", nargs="*", default=["city", "nation"], choices=sorted(SCALES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default=str(HERE / "out"), help="where the scaled databases are cached")
    args = parser.parse_args(argv)
    from .etl_bench import scaled_database
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = {}
    for name in args.scale:
        sc = SCALES[name]
        print(f"{name}: building or reusing the database ({sc.communities:,} communities × {sc.periods} periods) …",
              file=sys.stderr, flush=True)
        url = scaled_database(sc, work, lambda m: print(m, file=sys.stderr, flush=True))
        results[f"briefing_{name}"] = in_own_process(url, args.runs)
        print(f"briefing_{name}: {json.dumps(results[f'briefing_{name}'])}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
