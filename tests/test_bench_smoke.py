"""The benchmark suite at a tiny scale, so it cannot rot: every section runs and writes every key."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_runs_at_a_tiny_scale_and_writes_every_key(tmp_path):
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "bench", "--scale", "tiny", "--out", str(out), "--work",
                           str(tmp_path / "work"), "--calls", "3"], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text())
    assert set(results["ingest_100k"]) >= {"shequ_s", "calamine_s", "openpyxl_s", "peak_rss_mb"}
    assert set(results["recompute_nation"]) == {"full_s", "incremental_s"}
    assert set(results["export_nation"]) >= {"shequ_s", "xlsxwriter_s"}
    views = {"period_change", "indicator_change", "county_drilldown", "community_grid_page",
             "community_grid_filter", "community_grid_rows", "scorecard_sort"}
    assert set(results["callbacks_city"]) == views
    assert all(set(v) >= {"p50_ms", "p95_ms", "drawn_p50_ms", "drawn_p95_ms"} for v in results["callbacks_city"].values())
    assert all("first_click_ms" in v for k, v in results["callbacks_city"].items() if k != "community_grid_rows")
    assert results["callback_floor_ms"] > 0
    assert set(results["first_render_s"]) == {"overview", "scorecard", "counties", "communities", "leaders",
                                              "reporting"}
    assert results["server_rss_mb"] > 0
    assert set(results["briefing_tiny"]) >= {"cold_s", "warm_s", "html_s", "pages", "kb"}
    assert "shequ benchmark" in proc.stdout


def test_a_run_of_some_benchmarks_does_not_replace_the_record_of_a_full_run(tmp_path):
    record = ROOT / "bench" / "results.json"
    before = record.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "bench", "--scale", "tiny", "--only", "recompute", "--work",
                           str(tmp_path / "work")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "full_s" in proc.stdout and "not written" in proc.stderr
    assert record.read_bytes() == before
