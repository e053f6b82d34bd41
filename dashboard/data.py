"""Cached reads of the stored indicators and community rows, keyed by (database, data version, basis).

Nothing is loaded at import time. Every read takes a `Source` (what to read and which version of it): a load or
a status change moves `data_version`, so the next request reads afresh. Returned frames are copies.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from flask import current_app, has_app_context
from sqlalchemy.engine import Engine

from etl.store import completeness, queries
from etl.store.completeness import PeriodState
from etl.periods import previous_periods
from etl.config import indicator_map, load_settings
from etl.store.db import city_from_db, registry_from_db, stored_boundaries
from etl.compute.indicators import community_table as own_values, not_applicable as etl_not_applicable, with_changes
from etl.periods import period_sort_key
from etl.registry import DEFAULT_CITY, City
from etl.compute.scorecard import leader_accountability, mark_not_applicable, scorecard as etl_scorecard

from . import geo
from .memo import memo
from .quality import quality_flags

# The standards a community is checked against: label key → the community-level indicators that express it.
STANDARDS = (
    ("area_std", ("urban_area_ge_500_pct", "township_area_ge_300_pct")),
    ("services_std", ("services_mean",)),
    ("grid_std", ("grid_coverage_pct",)),
    ("party_std", ("party_standard_pct",)),
    ("unified_std", ("three_unified_pct",)),
    ("facilities_std", ("facilities_full_pct",)),
)


@dataclass(frozen=True)
class Source:
    """What a read reads: the database (by URL), its data version and the basis; the engine rides along."""

    url: str
    version: str
    basis: str
    engine: Engine = field(compare=False, hash=False, repr=False)


def source(basis: str | None = None) -> Source:
    """The current app's database at its present data version."""
    config = current_app.config
    engine = config["SHEQU_ENGINE"]
    return Source(str(engine.url), queries.data_version(engine), basis or config["SHEQU_BASIS"], engine)


def source_for(engine: Engine, basis: str = "current") -> Source:
    """A Source outside a request (tests, scripts)."""
    return Source(str(engine.url), queries.data_version(engine), basis, engine)


def health(engine: Engine) -> bool:
    try:
        queries.data_version(engine)
        return True
    except Exception:  # noqa: BLE001 — any database failure means "not healthy"
        return False


@memo(16)
def periods(src: Source) -> tuple[str, ...]:
    return tuple(queries.periods(src.engine, src.basis))


@memo(16)
def period_states(src: Source) -> tuple[PeriodState, ...]:
    """Each period's counties reported and expected on the basis, oldest first."""
    return tuple(completeness.period_states(src.engine, src.basis))


def period_state(src: Source, period: str | None) -> PeriodState | None:
    return next((s for s in period_states(src) if s.period == period), None)


def complete_periods(src: Source) -> frozenset[str]:
    return frozenset(s.period for s in period_states(src) if s.complete)


def resolve_period(src: Source, period: object) -> str | None:
    """The period asked for when it has data; else the latest complete (or published) one, so that nobody lands
    on one county's return as if it were the city's; the latest of all when none is complete; None without data."""
    known = periods(src)
    if isinstance(period, str) and period in known:
        return period
    return completeness.default_period(list(period_states(src))) if known else None


def previous_period(src: Source, period: str) -> str | None:
    return previous_periods(list(periods(src))).get(period)


def baseline_period() -> str:
    return load_settings().baseline_period


def baseline_of(values: pd.DataFrame) -> str | None:
    """The period an area's indicator is measured from, among its rows from values(): the configured baseline,
    or the first later period that has the figure (etl.compute.indicators.with_changes)."""
    return next((b for b in values.get("baseline_period", ()) if isinstance(b, str)), None)


@memo(16)
def _values(src: Source, level: str) -> pd.DataFrame:
    values = queries.indicator_values(src.engine, src.basis, level=level)
    if values.empty:
        return values.assign(baseline_period=[], baseline_value=[], change_baseline=[], ratio_baseline=[],
                             previous_value=[], change_previous=[])
    if level == "city":
        # The city's figures of an incomplete period are a part of the city: compared with nothing, and never
        # the previous period or the baseline of another.
        states = list(period_states(src))
        return with_changes(values, baseline_period(), completeness.previous_complete(states),
                            comparable=complete_periods(src))
    return with_changes(values, baseline_period(), previous_periods(list(periods(src))))


@memo(16)
def _values_by(src: Source, level: str, key: str) -> dict:
    """The level's values split once by period or by area: a view then takes its slice, not a scan of them all
    (at national scale a level holds 300 counties × 12 periods × every indicator)."""
    return {k: g.reset_index(drop=True) for k, g in _values(src, level).groupby(key, sort=False)}


def values(src: Source, level: str, period: str | None = None, indicator: str | None = None,
           area: str | None = None) -> pd.DataFrame:
    """Stored indicator values at a level, with their change since the baseline and the previous period."""
    df = _values(src, level)
    if area is not None:
        df = _values_by(src, level, "area_code").get(area, df.iloc[0:0])
    if period is not None:
        df = (_values_by(src, level, "period").get(period, df.iloc[0:0]) if area is None
              else df[df["period"] == period])
    if indicator is not None:
        df = df[df["indicator"] == indicator]
    return df.reset_index(drop=True).copy()


@memo(8)
def city(src: Source) -> City:
    """The city the database serves: its code, name and English name (the place table's city row)."""
    return city_from_db(src.engine)


def request_city() -> City:
    """The city of the current app's database; Yulin's outside an app or when the database cannot be read (a
    login or error page must render all the same)."""
    if not has_app_context() or "SHEQU_ENGINE" not in current_app.config:
        return DEFAULT_CITY
    try:
        return city_from_db(current_app.config["SHEQU_ENGINE"])
    except Exception:  # noqa: BLE001 — a title must never be what fails; the page itself reports the database
        return DEFAULT_CITY


def page_title(name: str):
    """A page's <title> for dash.register_page(title=…), called at each request: 总览 · 梧州市社区."""
    def title(**_path_variables) -> str:
        return f"{name} · {request_city().name}社区"
    return title


@dataclass(frozen=True)
class CityMap:
    """The boundaries to draw the city's counties with (None: the city has none, the ranking takes the map's
    place), and whether they are the city's own file (for the attribution)."""

    geojson: dict | None
    stored: bool


@memo(4)
def city_map(src: Source) -> CityMap:
    """The city's county map: the boundaries stored with `shequ init --boundaries`, else those shipped (Yulin,
    Guangxi's cities), else none."""
    code = city(src).code
    stored = stored_boundaries(src.engine, code)
    if stored is not None:
        return CityMap(geo.prepared(stored), True)
    return CityMap(geo.shipped_geojson(code), False)


def city_values(src: Source, period: str | None = None, indicator: str | None = None) -> pd.DataFrame:
    df = values(src, "city", period, indicator)
    return df[df["area_code"] == city(src).code].reset_index(drop=True)


@memo(8)
def _places(src: Source, level: str) -> pd.DataFrame:
    return queries.places(src.engine, level)


def places(src: Source, level: str) -> pd.DataFrame:
    return _places(src, level).copy()


def counties(src: Source) -> pd.DataFrame:
    """code, name, name_en of the city's counties."""
    return places(src, "county")[["code", "name", "name_en"]]


def county_names(engine: Engine) -> dict[str, str]:
    """code → name of each county of the registry in the database (the one `shequ init --registry` loaded),
    for the admin and upload pages, which work on an engine rather than a view's Source."""
    return dict(registry_from_db(engine).counties)


# Rows are read one period at a time: at national scale all periods together are over a million rows.
@memo(8)
def _community_rows(src: Source, period: str | None) -> pd.DataFrame:
    return queries.community_rows(src.engine, src.basis, [period] if period else None)


@memo(8)
def _link_rows(src: Source, period: str | None) -> pd.DataFrame:
    return queries.link_rows(src.engine, src.basis, [period] if period else None)


def community_rows(src: Source, period: str | None = None) -> pd.DataFrame:
    """The counted community rows (every field and its lineage), for one period or all."""
    return _community_rows(src, period).copy()


def link_rows(src: Source, period: str | None = None) -> pd.DataFrame:
    return _link_rows(src, period).copy()


def community_table(src: Source, period: str, county: str | None = None) -> pd.DataFrame:
    """One row per community of the period: its fields, township, county, leaders and meets/misses per standard;
    one county's only when `county` is given."""
    if county is None:
        return _community_table(src, period).copy()
    table = _community_table_by_county(src, period)
    return table[county].copy() if county in table else _community_table(src, period).iloc[0:0].copy()


def community_count(src: Source, period: str) -> int:
    return len(_community_table(src, period))


@memo(8)
def _community_table_by_county(src: Source, period: str) -> dict:
    table = _community_table(src, period)
    return {k: g.reset_index(drop=True) for k, g in table.groupby("county_code", sort=False)} if len(table) else {}


def _leader_names(links: pd.DataFrame) -> pd.Series:
    """community_code → its leaders' names, sorted and joined with 、 (one sort and a slice per community: a
    group-by calling str.join per group took seconds for a nation's 120,000 communities)."""
    pairs = links[["community_code", "leader_name"]].drop_duplicates().sort_values(["community_code", "leader_name"])
    codes, names = pairs["community_code"].to_numpy(), pairs["leader_name"].tolist()
    if not len(codes):
        return pd.Series(dtype=object)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    return pd.Series(["、".join(names[a:b]) for a, b in zip(starts, ends)], index=codes[starts])


@memo(8)
def _community_table(src: Source, period: str) -> pd.DataFrame:
    rows = community_rows(src, period)
    if rows.empty:
        return rows
    table = indicator_map()
    links = _link_rows(src, period)
    # Each community's own values, one row a community (computed from the rows at hand, not read again long).
    own = own_values(rows, links)
    for key, ids in STANDARDS:
        meets = pd.array([pd.NA] * len(own), dtype="boolean")
        for ind in ids:
            if ind in own:
                has = own[ind].notna().to_numpy()
                meets[has] = own[ind].to_numpy()[has] >= table[ind].target
        rows[key] = meets           # own_values keeps the rows' order
    leaders = rows["community_code"].map(_leader_names(links))
    rows["leaders"] = leaders.astype(object).where(leaders.notna(), "")     # "" also when nobody is linked
    rows["n_leaders"] = rows["community_code"].map(links.groupby("community_code").size()).fillna(0).astype(int)
    names = counties(src).set_index("code")
    rows["county_name"] = rows["county_code"].map(names["name"])
    rows["county_name_en"] = rows["county_code"].map(names["name_en"])
    return rows.sort_values(["county_code", "community_code"]).reset_index(drop=True)


@memo(8)
def _quality_flags(src: Source, period: str) -> pd.DataFrame:
    previous = previous_period(src, period)
    return quality_flags(_community_rows(src, period), _community_rows(src, previous) if previous else None)


def flags(src: Source, period: str) -> pd.DataFrame:
    """The period's data-quality flags (dashboard/quality.py), computed once per data version."""
    return _quality_flags(src, period).copy()


def prepare(src: Source, period: str) -> None:
    """Build (memoise) what the pages read for one period: both levels' values and their splits, the scorecard,
    the community table and its split by county, the quality flags, the leaders, the submissions.
    dashboard/warmup.py calls it whenever the data change."""
    for level in ("city", "county"):
        _values_by(src, level, "period")
        _values_by(src, level, "area_code")
    period_states(src)
    _scorecard(src)
    not_applicable(src, period)
    _community_table_by_county(src, period)
    _quality_flags(src, period)
    _leaders(src, period)
    _submissions(src)


def community_history(src: Source, code: str) -> pd.DataFrame:
    """One community's rows over the periods, with lineage: under its earlier codes too (renamed or moved)."""
    return queries.community_history(src.engine, [code, *community_family(src, code).earlier_codes], src.basis)


def community_family(src: Source, code: str):
    """The community's line through the registry's changes (etl/store/registry_changes.py Family)."""
    from etl.store.registry_changes import community_family as family
    return family(src.engine, code)


@memo(8)
def _scorecard(src: Source) -> pd.DataFrame:
    incomplete = frozenset(periods(src)) - complete_periods(src)
    return etl_scorecard(queries.indicator_values(src.engine, src.basis, level="county"), load_settings(), incomplete)


def scorecard(src: Source, period: str) -> pd.DataFrame:
    df = _scorecard(src)
    return mark_not_applicable(df[df["period"] == period].reset_index(drop=True), not_applicable(src, period))


@memo(8)
def not_applicable(src: Source, period: str) -> frozenset[tuple[str, str, str]]:
    """(period, area_code, indicator) whose indicator has nobody to apply to in that period (不适用)."""
    return frozenset(etl_not_applicable(_community_rows(src, period), _link_rows(src, period),
                                        city_code=city(src).code))


def leaders(src: Source, period: str) -> pd.DataFrame:
    """Per leader of the period: communities linked, meeting the premises standard now and at the leaders'
    baseline (leader_baseline)."""
    return _leaders(src, period).copy()


def leader_baseline(src: Source, period: str) -> str | None:
    """The period the leaders' communities are compared with: the configured baseline, or where its returns had
    no leader sheet (2013's) the first later one whose returns have leader links; None when none up to `period`
    has (the leader-table indicators are stored only for a period with links)."""
    city = city_values(src)
    leader_ids = [i.id for i in indicator_map().values() if i.table == "leader"]
    linked = set(city.loc[city["indicator"].isin(leader_ids) & city["value"].notna(), "period"])
    first, last = period_sort_key(baseline_period()), period_sort_key(period)
    return next((p for p in periods(src) if p in linked and first <= period_sort_key(p) <= last), None)


@memo(8)
def _leaders(src: Source, period: str) -> pd.DataFrame:
    links = _link_rows(src, period)
    baseline = leader_baseline(src, period)
    baseline_rows = _community_rows(src, baseline) if baseline else _community_rows(src, period).iloc[0:0]
    acc = leader_accountability(_community_rows(src, period), links, baseline_rows)
    if acc.empty:
        return acc.assign(county_codes=[])
    county = links.groupby(["leader_name", "leader_level"])["county_code"].agg(lambda s: sorted(set(s)))
    acc["county_codes"] = [county.get((n, lv), []) for n, lv in zip(acc["leader_name"], acc["leader_level"])]
    return acc


@memo(8)
def _submissions(src: Source) -> pd.DataFrame:
    return queries.submissions(src.engine)


def submissions(src: Source, period: str | None = None) -> pd.DataFrame:
    df = _submissions(src)
    return (df[df["period"] == period] if period else df).reset_index(drop=True).copy()
