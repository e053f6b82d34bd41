"""Reporting periods: a year (2015) or a quarter (2015Q3), parsed from what clerks write and ordered."""
from __future__ import annotations

import re
import unicodedata

_QUARTER_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PERIOD = re.compile(r"^(\d{4})(?:Q([1-4]))?$")
_TEXT = re.compile(r"((?:19|20)\d{2})\s*年?\s*(?:第?\s*([一二三四1-4])\s*季度?|[Qq]\s*([1-4]))?")


def parse_period(text: object) -> str | None:
    """'2015年' → '2015', '2015年第三季度' / '2015 Q3' / '2015Q3' → '2015Q3'; None when there is no year."""
    if text is None:
        return None
    s = unicodedata.normalize("NFKC", str(text)).strip()
    m = _TEXT.search(s)
    if not m:
        return None
    quarter = m.group(2) or m.group(3)
    return f"{m.group(1)}Q{_QUARTER_WORDS[quarter]}" if quarter else m.group(1)


def is_period(text: str) -> bool:
    return bool(_PERIOD.match(text or ""))


def period_sort_key(period: str) -> tuple[int, int]:
    m = _PERIOD.match(period)
    if not m:
        raise ValueError(f"not a period: {period!r}")
    return int(m.group(1)), int(m.group(2) or 0)


def format_period(period: str, lang: str = "zh") -> str:
    """2015年 / 2015年第三季度, or 2015 / 2015 Q3."""
    year, quarter = period_sort_key(period)
    if lang == "en":
        return f"{year} Q{quarter}" if quarter else str(year)
    return f"{year}年第{'一二三四'[quarter - 1]}季度" if quarter else f"{year}年"


def previous_periods(all_periods: list[str]) -> dict[str, str]:
    """period → the period before it (2015 → 2014; 2015Q1 → 2014Q4 when both are quarters)."""
    ordered = sorted(all_periods, key=period_sort_key)
    out = {}
    for p in ordered:
        quarterly = "Q" in p
        earlier = [q for q in ordered if ("Q" in q) == quarterly and period_sort_key(q) < period_sort_key(p)]
        if earlier:
            out[p] = earlier[-1]
    return out
