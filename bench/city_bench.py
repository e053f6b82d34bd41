"""`shequ init --city` of a large city (南宁市, 455 communities in 12 counties) into a fresh database, as a person
runs it: a new process that reads the national codes, builds the registry and writes it.

`python -m bench.city_bench --runs 5` prints each run's wall time of the whole command (interpreter start and
imports included), then one run in this process split into its parts: the national codes read and the registry
built (`city_registry`), and `init_db` (the schema made by the migrations, the place table written).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CITY = "南宁市"


def command_run(folder: Path, city: str) -> float:
    """Seconds of one `shequ --db sqlite:///NEW.db init --city CITY` in a process of its own."""
    db = folder / f"c{time.monotonic_ns()}.db"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "from dashboard.cli import main; main()", "--db", f"sqlite:///{db}",
                           "init", "--city", city], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0 and "communities" in proc.stdout, proc.stderr
    return elapsed


def parts(folder: Path, city: str) -> dict[str, float]:
    """The same work in this process, split: the codes read and the registry built, then init_db."""
    start = time.perf_counter()
    from etl.national import city_registry
    from etl.store.db import make_engine
    from etl.store.setup import init_db
    imported = time.perf_counter()
    registry = city_registry(city)
    built = time.perf_counter()
    count = init_db(make_engine(f"sqlite:///{folder / 'parts.db'}"), registry)
    done = time.perf_counter()
    return {"imports_s": imported - start, "city_registry_s": built - imported, "init_db_s": done - built,
            "communities": count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--city", default=CITY)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shequ-city-bench-") as tmp:
        folder = Path(tmp)
        runs = [command_run(folder, args.city) for _ in range(args.runs)]
        print(f"shequ init --city {args.city}: median {statistics.median(runs):.2f} s "
              f"({', '.join(f'{r:.2f}' for r in runs)})")
        print("in one process: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                                for k, v in parts(folder, args.city).items()))


if __name__ == "__main__":
    main()
