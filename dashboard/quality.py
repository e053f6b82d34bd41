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


_ROW_COLUMNS = ["county_code", "community_code", "community_name", "file_name", "sheet", "source_row"]


def _flags(rows: pd.DataFrame, mask, flag: str, fld: str, value, previous=None, detail=None) -> pd.DataFrame:
    """The rows where `mask` holds, as flags (vectorised: a national period has 120,000 rows)."""
    mask = np.asarray(mask, dtype=bool)
    picked = rows.loc[mask, _ROW_COLUMNS].copy()
    picked["flag"], picked["field"] = flag, fld
    picked["value"] = np.asarray(value, dtype=object)[mask]
    picked["previous"] = np.asarray(previous, dtype=object)[mask] if previous is not None else None
    picked["detail"] = np.asarray(detail, dtype=object)[mask] if detail is not None else ""
    return picked[FLAG_COLUMNS]


def quality_flags(rows: pd.DataFrame, previous_rows: pd.DataFrame | None) -> pd.DataFrame:
    """Flags for one period's rows: `fell` (below the previous period), `outlier` (|robust z| > 3.5 among the county's
    communities of the same kind) and `threshold` (service area back below 300/500/1000 m² having reached it)."""
    parts: list[pd.DataFrame] = []
    rows = rows.reset_index(drop=True)
    if previous_rows is not None and len(previous_rows) and len(rows):
        before = previous_rows.drop_duplicates("community_code").set_index("community_code")
        for fld in GROWING_FIELDS:
            now = pd.to_numeric(rows[fld], errors="coerce").astype(float).to_numpy()
            then = pd.to_numeric(rows["community_code"].map(before[fld]), errors="coerce").astype(float).to_numpy()
            parts.append(_flags(rows, now < then, "fell", fld, rows[fld].to_numpy(dtype=object), then))
            if fld == "service_area_m2":
                crossed = np.zeros(len(rows))
                for threshold in AREA_THRESHOLDS:
                    crossed = np.where((then >= threshold) & (threshold > now), threshold, crossed)
                parts.append(_flags(rows, crossed > 0, "threshold", fld, rows[fld].to_numpy(dtype=object), then,
                                    [f"{int(c)}" for c in crossed]))
    # Urban and township communities differ by design (500 vs 300 m² standards): compare like with like.
    groups = [rows["county_code"], rows["community_kind"]]
    for fld in OUTLIER_FIELDS:
        x = pd.to_numeric(rows[fld], errors="coerce").astype(float)
        median = x.groupby(groups).transform("median")
        mad = (x - median).abs().groupby(groups).transform("median")
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(mad > 0, 0.6745 * (x - median) / mad, np.nan)
        parts.append(_flags(rows, np.abs(np.nan_to_num(z)) > ROBUST_Z_LIMIT, "outlier", fld,
                            rows[fld].to_numpy(dtype=object), None, [f"{v:.1f}" for v in z]))
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
    live = subs[subs["status"].isin(["submitted", "approved"])]
    for sub in live.itertuples(index=False):
        for w in sub.warnings:
            records.append({"county_code": sub.county_code, "file_name": sub.file_name, "sheet": w.get("sheet"),
                            "row": w.get("row"), "column": w.get("column"),
                            "message": w.get("message_en" if lang == "en" else "message_zh") or w.get("code")})
    return pd.DataFrame(records, columns=["county_code", "file_name", "sheet", "row", "column", "message"])
