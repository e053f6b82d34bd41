"""The upload's dry-run check as an analyst meets it: the first one right after `shequ serve` starts, and later ones.

`python -m bench.upload_bench --runs 3` (about a minute a run). Each run copies the sample database (the sample
returns loaded and approved, an analyst of 北流市), starts `shequ serve` (waitress and its warm-up thread,
dashboard/warmup.py), logs in in headless Chromium, opens /upload and drops the county's real return as soon as
the page is there — while the warm-up is still drawing, as happens to the first analyst after a restart — then,
once the server says it is warm, drops it again `--later` times (the page opened afresh each time). A check is
timed in the page, from the file input's change event to the check's card appearing (performance.now()), so
neither Selenium's polling nor the page's loading is counted.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .web_bench import _free_port, _wait_http

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHEQU = str(Path(sys.executable).parent / "shequ")
ANALYST, PASSWORD, COUNTY = "bench-analyst", "bench-password-1", "450981"
RETURN = ROOT / "sample_data" / "2015_450981_北流市.xlsx"

# Set at the file input's change (the drop), and when the check's card is first in the page.
WATCH = """
    window.dropAt = null; window.shownAt = null;
    document.addEventListener('change', e => {
        if (e.target.matches('#upload-files input[type=file]')) { window.dropAt = performance.now(); }
    }, true);
    new MutationObserver(() => {
        if (window.dropAt !== null && window.shownAt === null && document.querySelector('#upload-results .upload-file')) {
            window.shownAt = performance.now();
        }
    }).observe(document.body, {subtree: true, childList: true});"""


def sample_database(work: Path) -> Path:
    """The sample returns loaded and approved, with the analyst; built once into `work` with the shequ command."""
    db = work / "upload-sample.db"
    if db.exists():
        return db
    partial = work / "upload-sample.partial.db"
    partial.unlink(missing_ok=True)
    url = f"sqlite:///{partial}"
    subprocess.run([SHEQU, "--db", url, "init"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([SHEQU, "--db", url, "ingest", *map(str, sorted((ROOT / "sample_data").glob("*.xlsx")))],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([SHEQU, "--db", url, "approve", "--all"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([SHEQU, "--db", url, "user", "add", ANALYST, "--role", "analyst", "--county", COUNTY,
                    "--password-stdin"], input=PASSWORD + "\n", text=True, check=True, stdout=subprocess.DEVNULL)
    partial.rename(db)
    return db


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--no-first-run", "--window-size=1280,1000"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def _until(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise RuntimeError(f"{what} did not happen within {seconds} s")


def _warm(base: str) -> bool:
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(f"{base}/ready", timeout=10) as response:
            return json.load(response).get("warm") is True
    except urllib.error.HTTPError:           # 503: not ready yet
        return False


def _check(driver, base: str) -> float:
    """Open /upload, drop the return, and return the seconds from the drop to its card shown."""
    driver.get(f"{base}/upload")
    _until(lambda: driver.find_elements("css selector", "#upload-files input[type=file]"), 60, "the upload page")
    _until(lambda: driver.execute_script(
        "return !document.querySelector('[data-dash-is-loading=\"true\"]') && document.readyState === 'complete'"),
        60, "the upload page settling")
    driver.execute_script(WATCH)
    driver.find_element("css selector", "#upload-files input[type=file]").send_keys(str(RETURN))
    _until(lambda: driver.execute_script("return window.shownAt !== null"), 120, "the check's result")
    if not driver.find_elements("css selector", "#upload-results .upload-ready"):
        raise RuntimeError("the check did not pass: " + driver.find_element("css selector", "#upload-results").text)
    return driver.execute_script("return (window.shownAt - window.dropAt) / 1000")


def one_run(work: Path, later: int, log) -> dict:
    """A fresh server over a copy of the sample: the first check right after its start, then `later` checks."""
    folder = Path(tempfile.mkdtemp(prefix="upload-bench-", dir=work))
    db = folder / "shequ.db"
    shutil.copy(sample_database(work), db)
    port, base = _free_port(), None
    env = {**os.environ, "SHEQU_CACHE_DIR": str(folder / "cache"), "SHEQU_SECRET_KEY": "upload-bench"}
    driver = _browser()                     # the analyst's browser is open before the server starts
    server = subprocess.Popen([SHEQU, "--db", f"sqlite:///{db}", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        _wait_http(f"{base}/health")
        driver.get(f"{base}/login?next=/upload")
        driver.find_element("name", "username").send_keys(ANALYST)
        driver.find_element("name", "password").send_keys(PASSWORD)
        driver.find_element("css selector", "form button, form [type=submit]").click()
        dropped_after = time.perf_counter() - started
        first = _check(driver, base)
        warm_then = _warm(base)
        _until(lambda: _warm(base), 300, "the warm-up")
        warm_after = time.perf_counter() - started
        later_s = [_check(driver, base) for _ in range(later)]
        out = {"first_s": round(first, 3), "first_dropped_after_start_s": round(dropped_after, 1),
               "warm_when_first_done": warm_then, "warm_after_start_s": round(warm_after, 1),
               "later_s": [round(s, 3) for s in later_s]}
        log(f"  {out}")
        return out
    finally:
        driver.quit()
        server.terminate()
        server.wait(20)
        shutil.rmtree(folder, ignore_errors=True)


def upload_check(work: Path, runs: int, later: int, log) -> dict:
    """Medians over `runs` server starts of the first check and of the later ones, and every run's figures."""
    results = [one_run(work, later, log) for _ in range(runs)]
    firsts = [r["first_s"] for r in results]
    laters = [s for r in results for s in r["later_s"]]
    return {"first_check_s": {"median": round(statistics.median(firsts), 3), "min": min(firsts), "max": max(firsts)},
            "later_check_s": {"median": round(statistics.median(laters), 3), "min": min(laters), "max": max(laters)},
            "runs": results}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.upload_bench")
    parser.add_argument("--runs", type=int, default=3, help="server starts (each: one first check, then later ones)")
    parser.add_argument("--later", type=int, default=3, help="checks after the warm-up, per run")
    parser.add_argument("--work", default=str(HERE / "out"), help="where the sample database and runs go")
    parser.add_argument("--out", help="write the results here as JSON")
    args = parser.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    results = upload_check(work, args.runs, args.later, log)
    text = json.dumps(results, ensure_ascii=False, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(json.dumps({k: results[k] for k in ("first_check_s", "later_check_s")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
