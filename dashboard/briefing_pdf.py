"""简报 as a PDF made on the server: the city's (or one county's) period on two to four A4 pages.

The figures come from the dashboard's own reads (dashboard/data.py, over etl.compute) and its chart builders
(dashboard/figures.py): the numbers are those of `shequ indicators` and the scorecard page for the same period and
basis. The page is HTML (dashboard/briefing_html.py) printed by Chromium (dashboard/pdf_print.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy.engine import Engine

from etl.config import indicators
from etl.read.problems import ShequError
from etl.registry import City
from etl.store.completeness import PeriodState

from . import data
from .i18n import county_name, period_label

BASES = ("approved", "current")


@dataclass(frozen=True)
class Briefing:
    """What one briefing shows: the source, the period and its state, the county (None: the city's), the language."""

    src: data.Source
    period: str
    state: PeriodState | None
    county: str | None
    lang: str
    city: City
    names: pd.Series          # county code → Chinese name
    made_at: datetime

    def county_label(self, code: str) -> str:
        return county_name(code, self.names.get(code), self.lang)

    @property
    def complete(self) -> bool:
        return self.state is None or self.state.complete


def headline() -> list:
    """The overview's headline indicators, in order (the same list as dashboard/pages/overview.py's)."""
    return [i for i in indicators() if i.headline]


def resolve(engine: Engine, period: str | None, county: str | None, lang: str, basis: str) -> Briefing:
    """The briefing asked for, checked: a known period (None: the one the pages open on — the latest complete or
    published, else the latest with data), a county of the city, a language and a basis."""
    if lang not in ("zh", "en"):
        raise ShequError(f"unknown language {lang!r} (zh or en)", 2)
    if basis not in BASES:
        raise ShequError(f"unknown basis {basis!r} (approved or current)", 2)
    src = data.source_for(engine, basis)
    known = data.periods(src)
    if not known:
        raise ShequError(f"no returns counted on the {basis} basis yet: nothing to brief", 2)
    if period is not None and period not in known:
        raise ShequError(f"no data for period {period!r} on the {basis} basis (periods: {', '.join(known)})", 2)
    names = data.counties(src).set_index("code")["name"]
    if county is not None and county not in names.index:
        raise ShequError(f"{county!r} is not a county of {data.city(src).name}", 2)
    chosen = period or data.resolve_period(src, None)
    return Briefing(src, chosen, data.period_state(src, chosen), county, lang, data.city(src), names,
                    datetime.now().astimezone())


def briefing_html(engine: Engine, *, period: str | None = None, county: str | None = None, lang: str = "zh",
                  basis: str = "approved") -> str:
    """The briefing as the self-contained HTML page that is printed (also useful to look at in a browser)."""
    from .briefing_html import page
    return page(resolve(engine, period, county, lang, basis))


def briefing_pdf(engine: Engine, *, period: str | None = None, county: str | None = None, lang: str = "zh",
                 basis: str = "approved") -> bytes:
    """The briefing of a period as PDF bytes: the city's, or with `county` (a county code) that county's beside
    the city's. ShequError for an unknown period or county, or when no Chromium can print it."""
    from .pdf_print import html_to_pdf
    return html_to_pdf(briefing_html(engine, period=period, county=county, lang=lang, basis=basis))


def briefing_filename(city_name: str, period: str, county_name: str | None = None, lang: str = "zh") -> str:
    """玉林市_2015_简报.pdf, 玉林市_玉州区_2015_简报.pdf; Yulin_2015_briefing.pdf, Yulin_Yuzhou_District_2015_briefing.pdf."""
    parts = [city_name, county_name, period, "简报" if lang == "zh" else "briefing"]
    safe = ["".join(ch if ch.isalnum() or ch in "-" else "_" for ch in part.strip()) for part in parts if part]
    return "_".join(safe) + ".pdf"


def briefing_title(b: Briefing) -> str:
    """玉林市社区标准化建设简报，2015年 — or 玉林市玉州区社区标准化建设简报，2015年."""
    from .city import city_name
    from .i18n import t
    place = city_name(b.city, b.lang)
    if b.county:
        place = f"{place}{b.county_label(b.county)}" if b.lang == "zh" else f"{b.county_label(b.county)}, {place}"
    return t("briefing_title", b.lang, city=place, period=period_label(b.period, b.lang))
