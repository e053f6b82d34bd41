"""What a resubmission changes: communities added and removed, and each changed value (old → new)."""
from __future__ import annotations

import math

import pandas as pd
from sqlalchemy.engine import Engine

from etl.store.db import COMMUNITY_VALUE_FIELDS
from etl.store.load import ParsedReturn
from etl.store.queries import community_rows

DIFF_COLUMNS = ["change", "community_code", "community_name", "field", "old", "new"]
_COMPARED = [f for f in COMMUNITY_VALUE_FIELDS if f not in ("township_name", "community_name", "community_kind")]


def _same(a, b) -> bool:
    missing = lambda v: v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))  # noqa: E731
    if missing(a) or missing(b):
        return missing(a) and missing(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


def diff_against_current(engine: Engine, parsed: ParsedReturn) -> pd.DataFrame:
    """Rows of DIFF_COLUMNS; empty when the county has no current return for the period (nothing to compare)."""
    current = community_rows(engine, "current", [parsed.period])
    current = current[current["county_code"] == parsed.county_code].set_index("community_code")
    new = parsed.communities.set_index("community_code")
    out = []
    if current.empty:
        return pd.DataFrame(columns=DIFF_COLUMNS)
    for code in new.index.difference(current.index):
        out.append(("added", code, new.at[code, "community_name"], None, None, None))
    for code in current.index.difference(new.index):
        out.append(("removed", code, current.at[code, "community_name"], None, None, None))
    for code in new.index.intersection(current.index):
        for field in _COMPARED:
            old, value = current.at[code, field], new.at[code, field] if field in new.columns else None
            if not _same(old, value):
                out.append(("changed", code, new.at[code, "community_name"], field, old, value))
    return pd.DataFrame(out, columns=DIFF_COLUMNS)
