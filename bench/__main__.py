"""Run the benchmarks at a scale, print a table and write bench/results.json."""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from . import etl_bench
from .scale import SCALES

HERE = Path(__file__).resolve().parent


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem / 2**20, 1), "python": platform.python_version()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--scale", default="full", choices=sorted(SCALES))
    parser.add_argument("--out", help="where the results go (default: bench/results.json for a full run; a run "
                                      "with --only is printed, and written only here, so as not to replace the "
                                      "record of a full run with part of one)")
    parser.add_argument("--work", default=str(HERE / "out"), help="where generated workbooks and databases go")
    parser.add_argument("--only", nargs="*", help="ingest recompute callbacks render export briefing")
    parser.add_argument("--calls", type=int, default=60, help="calls per callback for its p50/p95")
    args = parser.parse_args(argv)
    sc = SCALES[args.scale]
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    only = set(args.only or ["ingest", "recompute", "callbacks", "render", "export", "briefing"])
    results: dict = {"scale": sc.name, "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "machine": machine(), "communities": sc.communities, "periods": sc.periods}
    started = time.perf_counter()
    if "ingest" in only:
        log(f"ingest: a {sc.ingest_rows:,}-row return …")
        results["ingest_100k"] = etl_bench.ingest(sc, work, log)
    url = None
    if only & {"recompute", "callbacks", "render", "export", "briefing"}:
        log(f"building the {sc.name} database ({sc.communities:,} communities × {sc.periods} periods) …")
        url = etl_bench.scaled_database(sc, work, log)
    if "recompute" in only:
        log("recompute …")
        results["recompute_nation"] = etl_bench.recompute_bench(sc, url)
    if only & {"callbacks", "render"}:
        from . import web_bench
        if "callbacks" in only:
            log("dashboard callbacks …")
            results.update(web_bench.callbacks(sc, url, log, args.calls))
            if sc.communities > 184:             # the city-scale ratio to the floor is a goal of its own
                city = SCALES["city"]
                log("dashboard callbacks at city scale …")
                city_url = etl_bench.scaled_database(city, work, log)
                city_results = web_bench.callbacks(city, city_url, log, args.calls)
                results["callbacks_city"] = city_results["callbacks_city"]
                results["callback_floor_city_ms"] = city_results["callback_floor_ms"]
        if "render" in only:
            log("first render in headless Chromium …")
            results.update(web_bench.first_render(sc, url, log))
    if "export" in only:
        log("export …")
        results["export_nation"] = etl_bench.export_bench(sc, url, work)
    if "briefing" in only:
        from .briefing_bench import in_own_process
        log("the city's briefing as a PDF …")
        results[f"briefing_{sc.name}"] = in_own_process(url, sc.repeat)
    results["total_s"] = round(time.perf_counter() - started, 1)
    out = args.out or (None if args.only else str(HERE / "results.json"))
    if out:
        Path(out).write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(render(results))
    if not out:
        log("a run of some benchmarks only: not written to bench/results.json (--out FILE keeps it)")
    return 0


def render(results: dict) -> str:
    lines = [f"shequ benchmark — scale {results['scale']} ({results['communities']:,} communities × "
             f"{results['periods']} periods), {results['machine']['cores']} cores", ""]
    for key, value in results.items():
        if isinstance(value, dict) and key != "machine":
            lines.append(f"{key}:")
            for k, v in value.items():
                lines.append(f"  {k:<28} {json.dumps(v, ensure_ascii=False)}")
        elif key not in ("machine", "scale", "when", "communities", "periods"):
            lines.append(f"{key:<30} {value}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
