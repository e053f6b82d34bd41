"""The county assessment (绩效考核): weighted achievement against targets, traffic lights and ranks."""
from __future__ import annotations

import numpy as np
import pandas as pd

from etl.config import Settings, indicator_map, load_settings
from etl.periods import previous_periods

# Where a value stands against its target. Only "met" means the target is reached: the colour bands below it
# (≥ green × target, ≥ amber × target) keep their colours under words that do not claim it (issue 12: green from
# 90 % of the target was labelled 达标).
STANDINGS = ("met", "near", "low", "behind")
STANDING_MARKS = {"met": "✓", "near": "≈", "low": "!", "behind": "✗"}
STANDING_COLOURS = {"met": "green", "near": "green", "low": "amber", "behind": "red"}
NOT_APPLICABLE = "na"     # the indicator does not apply (e.g. a county with no urban community): not 无数据, not 0
NO_DATA = "none"          # nothing reported although the indicator applies
# The words a standing is shown in, (Chinese, English): the dashboard and the export both read them here.
STANDING_WORDS = {"met": ("达标", "On target"), "near": ("接近", "Near target"), "low": ("偏低", "Below target"),
                  "behind": ("未达标", "Far below target"), NOT_APPLICABLE: ("不适用", "Not applicable"),
                  NO_DATA: ("无数据", "No data")}


def is_missing(value) -> bool:
    """No value: None, pd.NA or NaN — what the pages show as "—" and the export leaves empty, never a 0."""
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def meets(value: float | None, target: float, direction: str = "up") -> bool:
    """The value reaches the target (a value a float's rounding short of it counts as reaching it)."""
    if is_missing(value):
        return False
    return value <= target + 1e-9 if direction == "down" else value >= target - 1e-9


def standing(value: float | None, target: float, settings: Settings, direction: str = "up") -> str | None:
    """met when the target is reached; else near (≥ green × target), low (≥ amber × target) or behind; None
    when there is no value to judge."""
    if is_missing(value):
        return None
    if meets(value, target, direction):
        return "met"
    achievement = (target / value if value else 0.0) if direction == "down" else value / target
    if achievement >= settings.green:
        return "near"
    if achievement >= settings.amber:
        return "low"
    return "behind"


def scorecard(county_values: pd.DataFrame, settings: Settings | None = None,
              incomplete: frozenset[str] | set[str] = frozenset()) -> pd.DataFrame:
    """County-level indicator rows (period, area_code, indicator, value, …) → one row per county and period.

    Columns: period, area_code, then per weighted indicator `<id>` (value) and `<id>_standing` (STANDINGS, None
    without a value), then score (0–100,
    the weighted mean of min(value/target, 1) over the indicators that have a value), rank (1 = best, per period),
    previous_rank and rank_change (positive = moved up).

    `incomplete`: periods in which some expected county has no return. Their ranks are among the counties that
    reported only, so they have no rank change, and they are nobody's previous ranking.
    """
    settings = settings or load_settings()
    table = indicator_map()
    weights = settings.weights
    wide = (county_values[county_values["indicator"].isin(list(weights))]
            .set_index(["period", "area_code", "indicator"])["value"].unstack("indicator")
            .reindex(columns=list(weights)))
    if wide.empty:
        cols = ["period", "area_code", *weights, *(f"{i}_standing" for i in weights), "score", "rank", "previous_rank",
                "rank_change"]
        return pd.DataFrame(columns=cols)
    achieved = pd.DataFrame({i: (wide[i] / table[i].target).clip(upper=1.0) for i in weights})
    weight_row = pd.Series(weights)
    present = achieved.notna()
    total_weight = present.mul(weight_row, axis=1).sum(axis=1)
    score = (achieved.fillna(0).mul(weight_row, axis=1).sum(axis=1) / total_weight.replace(0, np.nan)) * 100
    out = wide.copy()
    for i in weights:
        out[f"{i}_standing"] = [standing(v, table[i].target, settings, table[i].direction) for v in wide[i]]
    out["score"] = score.round(2)
    out = out.reset_index()
    out["rank"] = out.groupby("period")["score"].rank(method="min", ascending=False).astype("Int64")
    previous = previous_periods([p for p in out["period"].unique() if p not in incomplete])
    ranks = out.set_index(["period", "area_code"])["rank"]
    out["previous_rank"] = [ranks.get((previous.get(p), a), pd.NA) if p in previous and p not in incomplete else pd.NA
                            for p, a in zip(out["period"], out["area_code"])]
    out["previous_rank"] = out["previous_rank"].astype("Int64")
    out["rank_change"] = out["previous_rank"] - out["rank"]
    return out.sort_values(["period", "rank", "area_code"]).reset_index(drop=True)


def mark_not_applicable(card: pd.DataFrame, not_applicable: set[tuple[str, str, str]]) -> pd.DataFrame:
    """The scorecard with NOT_APPLICABLE as the standing of each missing value whose indicator does not apply
    to the county (etl.compute.indicators.not_applicable); the score already leaves such a cell out and re-normalises
    the weights over the indicators that have a value."""
    out = card.copy()
    for column in [c for c in out.columns if c.endswith("_standing")]:
        ind = column.removesuffix("_standing")
        na = [(p, a, ind) in not_applicable and pd.isna(v)
              for p, a, v in zip(out["period"], out["area_code"], out[ind])]
        out.loc[na, column] = NOT_APPLICABLE
    return out


def leader_accountability(rows: pd.DataFrame, links: pd.DataFrame, baseline_rows: pd.DataFrame) -> pd.DataFrame:
    """Per leader: the communities linked (`communities`, `community_codes`), how many of them meet the area
    standard now and at the baseline, and which (`codes_meeting_now`, `codes_meeting_baseline`: a figure over
    many leaders counts distinct communities from these, where adding up the leaders' counts would count a
    community once per leader linking it).

    A community meets the standard when its premises reach 500 m² (urban) or 300 m² (township).
    """
    def meets(df: pd.DataFrame) -> pd.Series:
        need = np.where(df["community_kind"] == "城市社区", 500.0, 300.0)
        return pd.Series(pd.to_numeric(df["service_area_m2"], errors="coerce").to_numpy() >= need,
                         index=df["community_code"])

    key = ["leader_name", "leader_level"]
    if links.empty:
        return pd.DataFrame(columns=[*key, "leader_post", "communities", "community_codes", "meets_now",
                                     "meets_baseline", "change", "codes_meeting_now", "codes_meeting_baseline"])
    then = meets(baseline_rows) if len(baseline_rows) else pd.Series(dtype=bool)
    distinct = links.drop_duplicates(key + ["community_code"]).sort_values(key + ["community_code"])
    codes = distinct["community_code"]
    grouped = distinct.groupby(key, sort=True)["leader_post"].first().reset_index()   # the sort above's order
    # Each leader's rows are one run of the sorted links: its lists are slices (no Python call per leader).
    leader, leaders = distinct.groupby(key, sort=True).ngroup().to_numpy(), np.arange(len(grouped))
    for column, count, meeting in (("community_codes", "communities", None),
                                   ("codes_meeting_now", "meets_now", meets(rows)),
                                   ("codes_meeting_baseline", "meets_baseline", then)):
        keep = (np.ones(len(codes), dtype=bool) if meeting is None
                else codes.map(meeting).fillna(False).to_numpy(dtype=bool))
        kept, owner = codes.to_numpy()[keep].tolist(), leader[keep]
        starts, ends = np.searchsorted(owner, leaders), np.searchsorted(owner, leaders, side="right")
        grouped[column] = [kept[a:b] for a, b in zip(starts, ends)]
        grouped[count] = ends - starts
    grouped["change"] = grouped["meets_now"] - grouped["meets_baseline"]
    return grouped[[*key, "leader_post", "communities", "community_codes", "meets_now", "meets_baseline", "change",
                    "codes_meeting_now", "codes_meeting_baseline"]]
