"""Data-quality flags over the stored community rows, and the county × period reporting matrix (pure functions)."""
from __future__ import annotations

import numpy as np
import pandas as pd

# Fields that should not fall from one period to the next, and those checked for outliers within a county.
GROWING_FIELDS = ("service_area_m2", "service_items", "facilities")
OUTLIER_FIELDS = ("service_area_m2", "service_items", "staff", "trained")
AREA_THRESHOLDS = (300.0, 500.0, 1000.0)
ROBUST_Z_LIMIT = 3.5
FLAG_COLUMNS = ["county_code", "community_code", "community_name", "flag", "field", "value", "previous",
                "detail", "file_name", "sheet", "source_row"]


def robust_z(values: pd.Series) -> pd.Series:
    """0.6745 · (x − median) / MAD; NaN where the MAD is 0 (no spread to judge against)."""
    x = pd.to_numeric(values, errors="coerce").astype(float)
    median = x.median()
    mad = (x - median).abs().median()
    if not mad or np.isnan(mad):
        return pd.Series(np.nan, index=values.index)
    return 0.6745 * (x - median) / mad


def _flag(row, flag: str, fld: str, value, previous=None, detail: str = "") -> dict:
    return {"county_code": row.county_code, "community_code": row.community_code,
            "community_name": row.community_name, "flag": flag, "field": fld, "value": value,
            "previous": previous, "detail": detail, "file_name": row.file_name, "sheet": row.sheet,
            "source_row": row.source_row}


def quality_flags(rows: pd.DataFrame, previous_rows: pd.DataFrame | None) -> pd.DataFrame:
    """Flags for one period's rows: `fell` (below the previous period), `outlier` (|robust z| > 3.5 among the county's
    communities of the same kind) and `threshold` (service area back below 300/500/1000 m² having reached it)."""
    flags: list[dict] = []
    prev = previous_rows.set_index("community_code") if previous_rows is not None and len(previous_rows) else None
    for row in rows.itertuples(index=False):
        if prev is None or row.community_code not in prev.index:
            continue
        before = prev.loc[row.community_code]
        for fld in GROWING_FIELDS:
            now, then = getattr(row, fld), before[fld]
            if pd.notna(now) and pd.notna(then) and float(now) < float(then):
                flags.append(_flag(row, "fell", fld, now, then))
        now, then = row.service_area_m2, before["service_area_m2"]
        if pd.notna(now) and pd.notna(then):
            crossed = [t for t in AREA_THRESHOLDS if float(then) >= t > float(now)]
            if crossed:
                flags.append(_flag(row, "threshold", "service_area_m2", now, then, f"{int(max(crossed))}"))
    # Urban and township communities differ by design (500 vs 300 m² standards): compare like with like.
    for _key, group in rows.groupby(["county_code", "community_kind"]):
        for fld in OUTLIER_FIELDS:
            z = robust_z(group[fld])
            for row, score in zip(group.itertuples(index=False), z):
                if pd.notna(score) and abs(score) > ROBUST_Z_LIMIT:
                    flags.append(_flag(row, "outlier", fld, getattr(row, fld), None, f"{score:.1f}"))
    out = pd.DataFrame(flags, columns=FLAG_COLUMNS)
    return out.sort_values(["county_code", "community_code", "flag"]).reset_index(drop=True)


def reporting_matrix(subs: pd.DataFrame, county_codes: list[str], periods: list[str]) -> pd.DataFrame:
    """county × period → the newest submission's status and date (None when nothing was received)."""
    records = []
    for county in county_codes:
        for period in periods:
            mine = subs[(subs["county_code"] == county) & (subs["period"] == period)]
            if mine.empty:
                records.append({"county_code": county, "period": period, "status": None, "uploaded_at": None,
                                "file_name": None, "n_warnings": 0})
                continue
            newest = mine.sort_values("id").iloc[-1]
            records.append({"county_code": county, "period": period, "status": newest["status"],
                            "uploaded_at": newest["uploaded_at"], "file_name": newest["file_name"],
                            "n_warnings": len(newest["warnings"])})
    return pd.DataFrame(records, columns=["county_code", "period", "status", "uploaded_at", "file_name",
                                          "n_warnings"])


def warning_rows(subs: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Each counted submission's warnings, one row each: county, file, sheet, row, column, message."""
    records = []
    live = subs[subs["status"].isin(["submitted", "approved"])]
    for sub in live.itertuples(index=False):
        for w in sub.warnings:
            records.append({"county_code": sub.county_code, "file_name": sub.file_name, "sheet": w.get("sheet"),
                            "row": w.get("row"), "column": w.get("column"),
                            "message": w.get("message_en" if lang == "en" else "message_zh") or w.get("code")})
    return pd.DataFrame(records, columns=["county_code", "file_name", "sheet", "row", "column", "message"])
