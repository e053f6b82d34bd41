"""Applying a registry change set to a city with 15 periods of returns (issue 16): Yulin's 184 communities, returns
of all 7 counties for 2013–2027 (105 files), and a change set of each kind effective 2014 — it touches the 14
periods after the baseline: the returns of each are remapped (a rename, a move) and their figures recomputed.

`python -m bench.registry_bench --runs 3` prints the wall time of `shequ registry apply` as a person runs it (a
new process: imports, the check, the one transaction), of its dry run, and of the apply split in one process:
the file checked against the registry in force, then the transaction (eras, newest registry, returns remapped,
14 periods recomputed). Each run starts from a copy of the same database.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PERIODS = tuple(str(year) for year in range(2013, 2028))
EFFECTIVE = "2014"
CHANGES = """effective_period,change,old_code,new_code,new_name,township_code,township_name,county_code,kind,note
{e},rename,450981002002,450981002002,永丰新村社区居委会,,,,,
{e},merge,450981001005,450981001101,马岭朱砂罗社区居委会,,,,,
{e},merge,450981001006,450981001101,马岭朱砂罗社区居委会,,,,,
{e},split,450981002004,450981002101,新兴东社区居委会,,,,,
{e},split,450981002004,450981002102,新兴西社区居委会,,,,,
{e},new,,450981002103,城南新区社区居委会,450981002,城南街道,450981,,
{e},abolish,450981002006,,,,,,,
{e},move,450981001004,450981002104,龙桥社区居委会,450981002,城南街道,450981,,
""".format(e=EFFECTIVE)


def city_with_periods(folder: Path) -> Path:
    """The database: Yulin's registry and a synthetic return of every county for each of the 15 periods."""
    from etl.files.sample import generate_returns
    from etl.ingest import ingest_path
    from etl.registry import default_registry
    from etl.store.db import make_engine
    from etl.store.setup import init_db
    path = folder / "city15.db"
    engine = make_engine(f"sqlite:///{path}")
    init_db(engine)
    _, files = generate_returns(default_registry(), PERIODS, out_dir=folder / "returns")
    for file in files:
        assert ingest_path(engine, file).status == "loaded", file
    engine.dispose()
    return path


def command_run(db: Path, changes: Path, *extra: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "from dashboard.cli import main; main()", "--db", f"sqlite:///{db}",
                           "registry", "apply", *extra, str(changes)], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return elapsed


def parts(db: Path, changes: Path) -> dict[str, float]:
    from etl.config import load_settings
    from etl.read.changes import check_changes
    from etl.store.db import make_engine, registry_from_db
    from etl.store.registry_changes import apply_change_file
    engine = make_engine(f"sqlite:///{db}")
    content = changes.read_bytes()
    start = time.perf_counter()
    registry = registry_from_db(engine)
    sets, report = check_changes(content, changes.name, registry, load_settings().baseline_period)
    checked = time.perf_counter()
    assert report.valid
    outcome = apply_change_file(engine, content, changes.name, "bench")
    done = time.perf_counter()
    assert outcome.applied and len(outcome.sets[0]["periods"]) == len(PERIODS) - 1
    return {"check_s": checked - start, "apply_s": done - checked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shequ-registry-bench-") as tmp:
        folder = Path(tmp)
        print(f"building a city of 184 communities with returns for {len(PERIODS)} periods …", file=sys.stderr)
        base = city_with_periods(folder)
        changes = folder / "changes.csv"
        changes.write_text(CHANGES, encoding="utf-8")
        dry, real = [], []
        for n in range(args.runs):
            db = folder / f"run{n}.db"
            shutil.copy(base, db)
            dry.append(command_run(db, changes, "--dry-run"))
            real.append(command_run(db, changes))
        print(f"shequ registry apply --dry-run: median {statistics.median(dry):.2f} s "
              f"({', '.join(f'{r:.2f}' for r in dry)})")
        print(f"shequ registry apply (14 periods recomputed): median {statistics.median(real):.2f} s "
              f"({', '.join(f'{r:.2f}' for r in real)})")
        db = folder / "parts.db"
        shutil.copy(base, db)
        print("in one process: " + ", ".join(f"{k} {v:.3f}" for k, v in parts(db, changes).items()))


if __name__ == "__main__":
    main()
