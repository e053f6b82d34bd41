"""HTML to PDF with the machine's own Chromium, headless and offline: the page's charts are drawn by the installed
plotly.js as SVG, which Chromium prints as vector paths, and its text (CJK too, from the installed fonts) stays
text, embedded as font subsets.

Nothing is fetched: the page is a local file, plotly.js is read from the installed plotly package, and the page's
Content-Security-Policy refuses any request that is not a local file.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import plotly

from etl.read.problems import ShequError

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 60
# Chromium processes printing at once in one server process: each takes ~150 MB and a core for a second or two.
PRINTING = threading.BoundedSemaphore(2)
# What the page may load: itself, inline styles and scripts, and plotly.js beside it; never the network.
CSP = "default-src 'none'; script-src 'unsafe-inline' file:; style-src 'unsafe-inline'; img-src data:; font-src file:"


def browser() -> str:
    """The Chromium to print with: SHEQU_CHROMIUM, else the first of BROWSERS on PATH."""
    chosen = os.environ.get("SHEQU_CHROMIUM") or next((p for p in map(shutil.which, BROWSERS) if p), None)
    if not chosen or not shutil.which(chosen):
        raise ShequError("making a PDF needs Chromium (Debian: apt-get install chromium fonts-noto-cjk), "
                         "or SHEQU_CHROMIUM set to a Chrome or Chromium")
    return chosen


def _environment(tmp: str) -> dict[str, str]:
    """Chromium's environment: its home and caches in the print's own folder — a service user may have no home, or
    one systemd's ProtectHome hides (deploy/systemd/shequ-web.service); the fonts' system cache is read as is."""
    return {**os.environ, "LANG": "C.UTF-8", "HOME": tmp, "XDG_CONFIG_HOME": str(Path(tmp) / "config"),
            "XDG_CACHE_HOME": str(Path(tmp) / "cache")}


def plotly_script_tag() -> str:
    """The installed plotly.js, loaded from the package's own file (4.8 MB: not copied into every page)."""
    return f'<script src="{PLOTLY_JS.as_uri()}"></script>'


def html_to_pdf(page: str, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The PDF that Chromium prints of the HTML `page` (its @page rule sets the paper and the margins)."""
    with tempfile.TemporaryDirectory(prefix="shequ-pdf-") as tmp:
        html_path, pdf_path = Path(tmp) / "page.html", Path(tmp) / "page.pdf"
        html_path.write_text(page, encoding="utf-8")
        args = [browser(), "--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--no-default-browser-check", "--disable-background-networking", "--disable-extensions",
                "--disable-sync", "--mute-audio", "--hide-scrollbars", f"--user-data-dir={Path(tmp) / 'profile'}",
                "--no-pdf-header-footer", f"--print-to-pdf={pdf_path}", html_path.as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")      # Chromium refuses to run as root with its sandbox (containers, CI)
        try:
            with PRINTING:
                done = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                                      stdin=subprocess.DEVNULL, env=_environment(tmp))
        except subprocess.TimeoutExpired:
            raise ShequError(f"Chromium took more than {timeout:g} s to print the PDF") from None
        if done.returncode != 0 or not pdf_path.exists() or pdf_path.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise ShequError(f"Chromium could not print the PDF (exit {done.returncode}): {last}")
        return pdf_path.read_bytes()
