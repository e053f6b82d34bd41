"""Data-quality flags over the stored community rows, and the county × period reporting matrix (pure functions)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from etl.store.status import LIVE

# Fields that should not fall from one period to the next, and those checked for outliers among a community's peers.
GROWING_FIELDS = ("service_area_m2", "service_items", "facilities")
OUTLIER_FIELDS = ("service_area_m2", "service_items", "staff", "trained")
AREA_THRESHOLDS = (300.0, 500.0, 1000.0)
# Re-measuring premises or rounding them differently moves an area by a few m² (1,200 → 1,190): a fall of under 1%
# is not a room lost, and a page of such "falls" hides the real ones. Every fall of a count (59 items, 11
# facilities) is more than 1%, so each lost item or facility is still flagged; falling back below a standard
# (AREA_THRESHOLDS) is flagged however small, as it changes what the scorecard counts.
FALL_TOLERANCE = 0.01
# Outliers: areas and counts are skewed and bounded below (a district's urban premises are 2,000 m², a village's
# 100 m²), so they are compared on the log scale, with Tukey's fences (1.5 interquartile ranges beyond the
# quartiles) over the county's communities of the same kind — or over all communities of that kind when the
# county has fewer than MIN_PEERS, too few for quartiles. The fence lies at least OUTLIER_FACTOR times beyond the
# quartile: on the sample, communities of one kind in one county legitimately differ up to 4.7-fold (75 against a
# lower quartile of 360 m²), while a slipped decimal point or an extra zero is 10-fold.
FENCE_IQRS = 1.5
OUTLIER_FACTOR = 5.0
MIN_PEERS = 8
FLAG_COLUMNS = ["county_code", "community_code", "community_name", "flag", "field", "value", "previous",
                "detail", "reference", "peers", "file_name", "sheet", "source_row"]
_ROW_COLUMNS = ["county_code", "community_code", "community_name", "file_name", "sheet", "source_row"]


def _flags(rows: pd.DataFrame, mask, flag: str, fld: str, previous, detail="", reference=np.nan,
           peers="") -> pd.DataFrame:
    """The rows where `mask` holds, as flags; `previous`, `detail`, `reference` and `peers` are one value for all or
    one per row (vectorised: a national period has 120,000 rows)."""
    mask = np.asarray(mask, dtype=bool)
    picked = rows.loc[mask, _ROW_COLUMNS].copy()
    picked["flag"], picked["field"] = flag, fld
    for column, values in (("value", rows[fld]), ("previous", previous), ("detail", detail),
                           ("reference", reference), ("peers", peers)):
        picked[column] = np.broadcast_to(np.asarray(values, dtype=object), mask.shape)[mask]
    return picked[FLAG_COLUMNS]


def _quartiles(x: pd.Series, group: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's group size, lower and upper quartile among the rows of its `group` (a number per row)."""
    grouped = x.groupby(group)
    return tuple(s.to_numpy(dtype=float) for s in (grouped.transform("count"), grouped.transform("quantile", 0.25),
                                                   grouped.transform("quantile", 0.75)))


def _outliers(rows: pd.DataFrame, fld: str, previous, county_group, kind_group) -> list[pd.DataFrame]:
    """`outlier` flags of one field: above the upper fence ("high") or below the lower one ("low")."""
    x = pd.to_numeric(rows[fld], errors="coerce").astype(float)
    n, q1, q3 = _quartiles(x, county_group)
    n_kind, q1_kind, q3_kind = _quartiles(x, kind_group)
    few = n < MIN_PEERS
    n, q1, q3 = np.where(few, n_kind, n), np.where(few, q1_kind, q1), np.where(few, q3_kind, q3)
    peers = np.where(few, "kind", "county")
    judged = n >= MIN_PEERS
    log_x, log_q1, log_q3 = np.log1p(x.to_numpy()), np.log1p(q1), np.log1p(q3)
    reach = np.maximum(FENCE_IQRS * (log_q3 - log_q1), np.log(OUTLIER_FACTOR))
    high = judged & (log_x > log_q3 + reach)
    # A zero (no room yet, nobody trained yet) has no ratio to its peers: it is an answer, not a slipped digit.
    low = judged & (x.to_numpy() > 0) & (log_x < log_q1 - reach)
    return [_flags(rows, high, "outlier", fld, previous, "high", q3, peers),
            _flags(rows, low, "outlier", fld, previous, "low", q1, peers)]


def quality_flags(rows: pd.DataFrame, previous_rows: pd.DataFrame | None) -> pd.DataFrame:
    """Flags for one period's rows, each with the field's value in the previous period (`previous`, NaN when the
    community was not there): `fell` (more than 1% below the previous period), `threshold` (service area back below
    300/500/1000 m² having reached it; `reference` is the standard) and `outlier` (`detail` "high" or "low": more than
    5-fold, or 1.5 interquartile ranges on the log scale, beyond the upper or lower quartile — `reference` — of the
    county's communities of the same kind, or of all of that kind when `peers` is "kind")."""
    parts: list[pd.DataFrame] = []
    rows = rows.reset_index(drop=True)
    fields = list(dict.fromkeys(GROWING_FIELDS + OUTLIER_FIELDS))
    has_previous = previous_rows is not None and len(previous_rows) > 0
    before = (previous_rows.drop_duplicates("community_code").set_index("community_code")[fields]
              .reindex(rows["community_code"]) if has_previous else pd.DataFrame(index=rows.index, columns=fields))
    previous = {f: pd.to_numeric(before[f], errors="coerce").astype(float).to_numpy() for f in fields}
    if has_previous:
        for fld in GROWING_FIELDS:
            now, then = pd.to_numeric(rows[fld], errors="coerce").astype(float).to_numpy(), previous[fld]
            parts.append(_flags(rows, now < then * (1 - FALL_TOLERANCE), "fell", fld, then))
            if fld == "service_area_m2":
                crossed = np.zeros(len(rows))
                for threshold in AREA_THRESHOLDS:
                    crossed = np.where((then >= threshold) & (threshold > now), threshold, crossed)
                parts.append(_flags(rows, crossed > 0, "threshold", fld, then, reference=crossed))
    # Urban and township communities differ by design (500 vs 300 m² standards): like is compared with like.
    county_group = rows.groupby(["county_code", "community_kind"], sort=False).ngroup().to_numpy()
    kind_group = rows.groupby("community_kind", sort=False).ngroup().to_numpy()
    for fld in OUTLIER_FIELDS:
        parts += _outliers(rows, fld, previous[fld], county_group, kind_group)
    parts = [p for p in parts if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FLAG_COLUMNS)
    return out.sort_values(["county_code", "community_code", "flag"]).reset_index(drop=True)


def reporting_matrix(subs: pd.DataFrame, county_codes: list[str], periods: list[str]) -> pd.DataFrame:
    """county × period → the newest submission's status, date and the city's comment (None when nothing came)."""
    columns = ["county_code", "period", "status", "uploaded_at", "file_name", "n_warnings", "comment"]
    grid = pd.DataFrame([(c, p) for c in county_codes for p in periods], columns=["county_code", "period"])
    if subs.empty:
        newest = pd.DataFrame(columns=columns)
    else:
        newest = (subs.sort_values("id").drop_duplicates(["county_code", "period"], keep="last")
                  .assign(n_warnings=lambda d: d["warnings"].map(len))[columns])
    out = grid.merge(newest, on=["county_code", "period"], how="left")
    out["n_warnings"] = out["n_warnings"].fillna(0).astype(int)
    return out.astype(object).where(out.notna(), None)[columns]


def warning_rows(subs: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Each counted submission's warnings, one row each: county, file, sheet, row, column, message."""
    records = []
    live = subs[subs["status"].isin(LIVE)]
    for sub in live.itertuples(index=False):
        for w in sub.warnings:
            records.append({"county_code": sub.county_code, "file_name": sub.file_name, "sheet": w.get("sheet"),
                            "row": w.get("row"), "column": w.get("column"),
                            "message": w.get("message_en" if lang == "en" else "message_zh") or w.get("code")})
    return pd.DataFrame(records, columns=["county_code", "file_name", "sheet", "row", "column", "message"])
