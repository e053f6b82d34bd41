"""The indicator engine: every entry of indicators.toml for every period, at city, county and community level.

Each indicator reduces to two per-row columns, a numerator `a` and a denominator `b`, whose sums per group give the
value (count: Σa; share: 100·Σa/Σb; mean: Σa/Σb; sum: Σa; ratio: 100·Σa/Σb). That makes every level the same
vectorised group-by, whatever the scale.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from etl.compute.expressions import evaluate, names_in
from etl.config import Indicator, indicators
from etl.periods import is_period, period_sort_key
from etl.read.schema import COMMUNITY_BOOL_FIELDS, COMMUNITY_NUMBER_FIELDS, KIND_TOWNSHIP, KIND_URBAN
from etl.registry import DEFAULT_CITY

CITY_CODE = DEFAULT_CITY.code      # the city row's code unless the caller names its own (the database's city)

RESULT_COLUMNS = ["period", "level", "area_code", "indicator", "value"]
WEIGHT = "weight"
KNOWN = "_known_"      # prefix of the columns saying whether a field was reported (blank ≠ no)


def prepare_communities(rows: pd.DataFrame, links: pd.DataFrame, one_period: bool = False) -> pd.DataFrame:
    """Community rows (period, county_code, community_code, fields…) with the derived columns expressions use.

    `one_period`: the rows and links are of one period, which they need not say.
    """
    df = rows.copy()
    for name in COMMUNITY_BOOL_FIELDS:
        values = df[name].astype("boolean")
        df[KNOWN + name] = values.notna().to_numpy(dtype=bool)
        df[name] = values.fillna(False).to_numpy(dtype=bool)
    for name in COMMUNITY_NUMBER_FIELDS:
        df[name] = pd.to_numeric(df[name], errors="coerce").astype(float)
        df[KNOWN + name] = df[name].notna().to_numpy(dtype=bool)
    df["urban"] = df["community_kind"].eq(KIND_URBAN).to_numpy(dtype=bool)
    df["township"] = df["community_kind"].eq(KIND_TOWNSHIP).to_numpy(dtype=bool)
    funds = df[["fund_fiscal", "fund_party_fee", "fund_donation"]]
    df["funding_total"] = funds.sum(axis=1, min_count=1)
    # A return without a leader sheet says nothing about who links its communities: like a blank field, their link
    # counts are unknown (an indicator over them is missing), not 0.
    reported = _links_reported(df, links, one_period)
    df["linked_leaders"] = np.where(reported, _link_counts(df, links, one_period), np.nan)
    df[KNOWN + "linked_leaders"] = reported
    return df


def _link_counts(rows: pd.DataFrame, links: pd.DataFrame, one_period: bool = False) -> np.ndarray:
    """How many leader links name each row's community in its period (a dict lookup a row: a join on the two
    string keys sorted and factorised both frames, most of a load's indicator terms)."""
    if not len(links):
        return np.zeros(len(rows), dtype=int)
    if one_period:
        counts = Counter(links["community_code"].tolist())
        keys = rows["community_code"].tolist()
    else:
        counts = Counter(zip(links["period"].tolist(), links["community_code"].tolist()))
        keys = zip(rows["period"].tolist(), rows["community_code"].tolist())
    return np.fromiter(map(counts.__getitem__, keys), dtype=int, count=len(rows))


def _links_reported(rows: pd.DataFrame, links: pd.DataFrame, one_period: bool = False) -> np.ndarray:
    """Whether each row's county return came with leader links (a period and county of the links)."""
    if one_period or not len(links):
        return np.full(len(rows), len(links) > 0)
    reported = set(zip(links["period"].tolist(), links["county_code"].tolist()))
    keys = zip(rows["period"].tolist(), rows["county_code"].tolist())
    return np.fromiter(map(reported.__contains__, keys), dtype=bool, count=len(rows))


def over_links(ind: Indicator) -> bool:
    """The indicator is over the leader links (a leader table's, or one naming a community's linked_leaders): a
    period or county whose return came without a leader sheet has no value of it."""
    names = names_in(ind.where) | names_in(ind.among) | {ind.of, ind.per}
    return ind.table == "leader" or "linked_leaders" in names


def prepare_leaders(links: pd.DataFrame) -> pd.DataFrame:
    """One row per leader and county they link in; `links` counts the leader's communities city-wide."""
    cols = ["period", "leader_name", "level", "county_code", "links"]
    if not len(links):
        return pd.DataFrame(columns=cols)
    key = ["period", "leader_name", "leader_level"]
    distinct = links.drop_duplicates(key + ["community_code"])
    total = distinct.groupby(key).size().rename("links")
    per_county = distinct.drop_duplicates(key + ["county_code"])[key + ["county_code"]].join(total, on=key)
    return per_county.rename(columns={"leader_level": "level"})[cols]


def prepare_counties(rows: pd.DataFrame, expected_counties: list[str], periods: list[str]) -> pd.DataFrame:
    reported = set(zip(rows["period"], rows["county_code"]))
    return pd.DataFrame([{"period": p, "county_code": c, "reported": (p, c) in reported}
                         for p in periods for c in expected_counties])


class _Rows:
    """A table's rows as numpy arrays by column (cheap to filter on, unlike a wide DataFrame)."""

    def __init__(self, df: pd.DataFrame):
        self.df = df
        self.length = len(df)
        self._arrays: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._arrays:
            column = self.df[name]
            self._arrays[name] = column.to_numpy(dtype=object) if column.dtype == object or \
                pd.api.types.is_string_dtype(column) else column.to_numpy()
        return self._arrays[name]

    def columns(self, names) -> dict[str, np.ndarray]:
        return {n: self[n] for n in names if n in self.df.columns}

    def known(self, *exprs: str) -> np.ndarray:
        """Rows where every field the expressions name was reported: a blank is unknown, not 'no' or 0."""
        known = np.ones(self.length, dtype=bool)
        for name in set().union(*(names_in(e) for e in exprs)):
            if KNOWN + name in self.df.columns:
                known &= self[KNOWN + name].astype(bool)
        return known

    def mask(self, expr: str) -> np.ndarray:
        return evaluate(expr, self.columns(names_in(expr)), self.length)


def _terms(ind: Indicator, rows: _Rows) -> tuple[np.ndarray, np.ndarray]:
    """The numerator and denominator columns of an indicator over its rows."""
    where, among = rows.mask(ind.where), rows.mask(ind.among)
    known = rows.known(ind.where, ind.among)
    if ind.kind in ("count", "distinct"):
        return (where & known).astype(float), known.astype(float)
    if ind.kind == "share":
        return (where & among & known).astype(float), (among & known).astype(float)
    of = rows[ind.of].astype(float)
    present = ~np.isnan(of)
    if ind.kind == "mean":
        ok = present & among
        return np.where(ok, of, 0.0), ok.astype(float)
    if ind.kind == "sum":
        return np.where(present, of, 0.0), present.astype(float)
    if ind.kind == "ratio":
        per = rows[ind.per].astype(float)
        ok = present & ~np.isnan(per)
        return np.where(ok, of, 0.0), np.where(ok, per, 0.0)
    raise ValueError(f"indicator {ind.id}: unknown kind {ind.kind!r}")


def _value(ind: Indicator, a, b):
    """Sums of the terms → the value; NaN where it is undefined (nothing to divide by)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if ind.kind in ("count", "distinct", "sum"):
            return np.where(b > 0, a, np.nan)
        if ind.kind == "mean":
            return np.where(b > 0, a / b, np.nan)
        return np.where(b > 0, 100.0 * a / b, np.nan)


TERM_COLUMNS = ["period", "county_code", "indicator", "a", "b"]


def community_terms(rows: pd.DataFrame, links: pd.DataFrame, table: tuple[Indicator, ...] | None = None
                    ) -> pd.DataFrame:
    """Per period and county, the sums of each community-table indicator's terms (TERM_COLUMNS).

    These sums are all a county's community rows contribute, so they are stored with each submission at load
    (etl/store/load.py) and a recompute adds them up instead of reading the rows again.
    """
    table = [i for i in (table or indicators()) if i.table == "community"]
    if not table or not len(rows):
        return pd.DataFrame(columns=TERM_COLUMNS)
    df = prepare_communities(rows, links)
    data = _Rows(df)
    terms = {}
    for n, ind in enumerate(table):
        terms[f"a{n}"], terms[f"b{n}"] = _terms(ind, data)
    keys = ["period", "county_code"]
    sums = pd.DataFrame({**{k: df[k].to_numpy() for k in keys}, **terms}).groupby(keys, sort=False).sum()
    index = sums.index.to_frame(index=False)
    return pd.concat([index.assign(indicator=ind.id, a=sums[f"a{n}"].to_numpy(), b=sums[f"b{n}"].to_numpy())
                      for n, ind in enumerate(table)], ignore_index=True)[TERM_COLUMNS]


def return_terms(rows: pd.DataFrame, links: pd.DataFrame, period: str, county_code: str,
                 table: tuple[Indicator, ...] | None = None) -> pd.DataFrame:
    """community_terms of one county's return for one period (its rows and links need not say which): the
    columns summed whole, with no grouping (a load's terms, in the reader's worker)."""
    table = [i for i in (table or indicators()) if i.table == "community"]
    if not table or not len(rows):
        return pd.DataFrame(columns=TERM_COLUMNS)
    data = _Rows(prepare_communities(rows, links, one_period=True))
    sums = [tuple(float(t.sum()) for t in _terms(ind, data)) for ind in table]
    return pd.DataFrame({"period": period, "county_code": county_code, "indicator": [i.id for i in table],
                         "a": [a for a, _ in sums], "b": [b for _, b in sums]}, columns=TERM_COLUMNS)


def values_from_terms(terms: pd.DataFrame, table: tuple[Indicator, ...] | None = None,
                      city_code: str = CITY_CODE) -> pd.DataFrame:
    """County values from their term sums, and the city's from the counties' sums added up."""
    by_id = {i.id: i for i in (table or indicators())}
    if terms.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    county = terms.assign(level="county", area_code=terms["county_code"])
    city = (terms.groupby(["period", "indicator"], sort=False)[["a", "b"]].sum().reset_index()
            .assign(level="city", area_code=city_code))
    parts = []
    for frame, level in ((county, "county"), (city, "city")):
        for ind_id, group in frame.groupby("indicator", sort=False):
            ind = by_id.get(ind_id)
            if ind is None or level not in ind.levels:
                continue
            parts.append(group.assign(value=_value(ind, group["a"].to_numpy(), group["b"].to_numpy()))[
                RESULT_COLUMNS])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RESULT_COLUMNS)


def _grouped(table: list[Indicator], df: pd.DataFrame, keys: list[str], level: str,
             area: str | None, city_code: str = CITY_CODE) -> list[pd.DataFrame]:
    """Every indicator of one table at one level, from a single group-by over all their terms."""
    table = [i for i in table if level in i.levels]
    if not table or not len(df):
        return []
    rows = _Rows(df)
    # A `weight` column means each row stands for that many identical rows (leaders grouped in the database).
    weight = df["weight"].to_numpy(dtype=float) if WEIGHT in df.columns else 1.0
    terms = {}
    for n, ind in enumerate(table):
        a, b = _terms(ind, rows)
        terms[f"a{n}"], terms[f"b{n}"] = a * weight, b * weight
    frame = pd.DataFrame({**{k: df[k].to_numpy() for k in keys}, **terms})
    sums = frame.groupby(keys, sort=False).sum()
    index = sums.index.to_frame(index=False)
    period = index["period"].to_numpy()
    area_code = index[area].to_numpy() if area else np.full(len(index), city_code, dtype=object)
    return [pd.DataFrame({"period": period, "level": level, "area_code": area_code, "indicator": ind.id,
                          "value": _value(ind, sums[f"a{n}"].to_numpy(), sums[f"b{n}"].to_numpy())})
            for n, ind in enumerate(table)]


def leader_and_reporting_values(leaders: pd.DataFrame, reported: pd.DataFrame, expected_counties: list[str],
                                periods: list[str], table: tuple[Indicator, ...] | None = None,
                                city_leaders: pd.DataFrame | None = None, city_code: str = CITY_CODE
                                ) -> pd.DataFrame:
    """The indicators over leaders (distinct across counties) and over the counties expected to report.

    leaders: prepare_leaders' frame (one row per leader and county, with city-wide `links`), or the same grouped
    with a `weight` column; city_leaders: one row per leader (or grouped likewise) — by default the leaders
    de-duplicated; reported: (period, county_code) of the counties with a counted return.
    """
    table = table or indicators()
    if city_leaders is None:
        city_leaders = leaders.drop_duplicates(["period", "leader_name", "level"])
    counties = prepare_counties(reported, expected_counties, periods)
    parts = []
    for name, df, city_df in (("leader", leaders, city_leaders), ("county", counties, counties)):
        own = [i for i in table if i.table == name]
        parts += _grouped(own, df, ["period", "county_code"], "county", "county_code")
        parts += _grouped(own, city_df, ["period"], "city", None, city_code)
    return pd.concat(parts, ignore_index=True)[RESULT_COLUMNS] if parts else pd.DataFrame(columns=RESULT_COLUMNS)


def community_table(rows: pd.DataFrame, links: pd.DataFrame, table: tuple[Indicator, ...] | None = None
                    ) -> pd.DataFrame:
    """Each community's own values as one row a community: period, county_code, community_code, then a column per
    community-level indicator (what a wide table such as the export's wants, without a long frame in between)."""
    table = [i for i in (table or indicators()) if i.table == "community" and "community" in i.levels]
    keys = ["period", "county_code", "community_code"]
    if not table or not len(rows):
        return pd.DataFrame(columns=keys + [i.id for i in table])
    df = prepare_communities(rows, links)
    data = _Rows(df)
    return pd.DataFrame({**{k: df[k].to_numpy() for k in keys},
                         **{ind.id: _value(ind, *_terms(ind, data)) for ind in table}})


def community_values(rows: pd.DataFrame, links: pd.DataFrame, table: tuple[Indicator, ...] | None = None
                     ) -> pd.DataFrame:
    """Each community's own values (area ≥ 500 → 0/1, its share 100/0 …), computed when read, not stored."""
    wide = community_table(rows, links, table)
    if wide.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    period, codes = wide["period"].to_numpy(), wide["community_code"].to_numpy()
    return pd.concat([pd.DataFrame({"period": period, "level": "community", "area_code": codes, "indicator": ind_id,
                                    "value": wide[ind_id].to_numpy()}) for ind_id in wide.columns[3:]],
                     ignore_index=True)


def compute(rows: pd.DataFrame, links: pd.DataFrame, expected_counties: list[str],
            periods: list[str] | None = None, table: tuple[Indicator, ...] | None = None,
            city_code: str = CITY_CODE) -> pd.DataFrame:
    """All city and county values for the periods in `rows` (plus `periods`, which may have no returns at all).

    rows: one row per community and period (period, county_code, community_code and the return's fields).
    links: one row per leader link (period, county_code, leader_name, leader_level, community_code).
    Returns RESULT_COLUMNS; undefined values (a share of nothing) are NaN. The reference for what recompute
    stores (which adds up stored term sums instead of reading every row).
    """
    periods = sorted(set(rows["period"]) | set(periods or ()))
    reported = rows[["period", "county_code"]].drop_duplicates()
    parts = [values_from_terms(community_terms(rows, links, table), table, city_code),
             leader_and_reporting_values(prepare_leaders(links), reported, expected_counties, periods, table,
                                         city_code=city_code)]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True)[RESULT_COLUMNS] if parts else pd.DataFrame(columns=RESULT_COLUMNS)


def with_changes(values: pd.DataFrame, baseline: str, previous: dict[str, str],
                 comparable: set[str] | None = None) -> pd.DataFrame:
    """Adds baseline_period, baseline_value, change_baseline, ratio_baseline, previous_value, change_previous.

    The baseline of an area's indicator is its value in `baseline`, or, where it has none there (2013's returns
    had no leader sheet), in the first later period that has one — baseline_period says which; a period before
    it has no baseline. `comparable`: the periods whose values may be compared at all (the complete ones, for the
    city); the others get no changes and are no one's baseline. None: every period.
    """
    key = ["area_code", "indicator"]
    order = {p: period_sort_key(p) for p in values["period"].unique()}
    start = period_sort_key(baseline) if is_period(baseline) else (0, 0)
    can_compare = values["period"].map(lambda p: comparable is None or p in comparable).astype(bool)
    candidates = values[values["value"].notna() & can_compare
                        & values["period"].map(lambda p: order[p] >= start).astype(bool)]
    base = (candidates.assign(_k=candidates["period"].map(order)).sort_values("_k", kind="stable")
            .drop_duplicates(key)[key + ["period", "value"]]
            .rename(columns={"period": "baseline_period", "value": "baseline_value"}))
    out = values.merge(base, on=key, how="left")
    out["baseline_period"] = out["baseline_period"].astype(object)
    after = [isinstance(b, str) and order[p] >= order[b] and ok
             for p, b, ok in zip(out["period"], out["baseline_period"], can_compare)]
    out.loc[~np.asarray(after, dtype=bool), ["baseline_period", "baseline_value"]] = [None, np.nan]
    prev = values[key + ["period", "value"]].rename(columns={"value": "previous_value", "period": "previous_period"})
    out["previous_period"] = [previous.get(p) if ok else None for p, ok in zip(out["period"], can_compare)]
    out["previous_period"] = out["previous_period"].astype(object)   # all-missing must not become float
    out = out.merge(prev, on=key + ["previous_period"], how="left")
    out["baseline_value"] = out["baseline_value"].astype(float)
    out["change_baseline"] = out["value"] - out["baseline_value"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio_baseline"] = np.where(out["baseline_value"] > 0, out["value"] / out["baseline_value"], np.nan)
    out["change_previous"] = out["value"] - out["previous_value"]
    return out


def not_applicable(rows: pd.DataFrame, links: pd.DataFrame, table: tuple[Indicator, ...] | None = None,
                   city_code: str = CITY_CODE) -> set[tuple[str, str, str]]:
    """(period, area_code, indicator) where the indicator has nobody to apply to: no community of the area's
    return is in its `among` (a share of urban communities in a county with none, of weak ones where none is
    weak). Its value is missing for that reason — 不适用, which is neither 无数据 nor 0."""
    table = [i for i in (table or indicators()) if i.table == "community" and i.among]
    if not table or not len(rows):
        return set()
    df = prepare_communities(rows, links)
    data = _Rows(df)
    keys = pd.DataFrame({"period": df["period"].to_numpy(), "county_code": df["county_code"].to_numpy()})
    out = set()
    for ind in table:
        among = keys.assign(among=data.mask(ind.among))
        county = among.groupby(["period", "county_code"], sort=False)["among"].any()
        out |= {(p, c, ind.id) for (p, c), has in county.items() if not has}
        city = among.groupby("period", sort=False)["among"].any()
        out |= {(p, city_code, ind.id) for p, has in city.items() if not has}
    return out
