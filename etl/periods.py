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


# When a registry change takes effect (spec/registry.md): a year, a quarter or a month, the first period in which
# the new state holds.
_EFFECTIVE = re.compile(r"^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))?$")


def parse_effective(text: object) -> str | None:
    """'2017', '2017Q1', '2017-03' (also 2017年, 2017年第一季度, 2017年3月) → the canonical form; None otherwise."""
    s = unicodedata.normalize("NFKC", str(text or "")).strip().replace(" ", "")
    month = re.fullmatch(r"(\d{4})(?:年|[-/.])(\d{1,2})月?", s)
    if month and 1 <= int(month.group(2)) <= 12:
        return f"{month.group(1)}-{int(month.group(2)):02d}"
    if _EFFECTIVE.match(s):
        return s
    period = parse_period(s)
    return period if period and re.fullmatch(r"\d{4}年?(第?[一二三四1-4]季度?|Q[1-4])?", s) else None


def first_month(period: str) -> tuple[int, int]:
    """The year and month a period or an effective period begins: 2017 → (2017, 1), 2017Q2 → (2017, 4)."""
    m = _EFFECTIVE.match(period)
    if not m:
        raise ValueError(f"not a period: {period!r}")
    year, quarter, month = m.groups()
    return int(year), int(month) if month else (3 * int(quarter) - 2 if quarter else 1)


def in_effect(effective: str, period: str) -> bool:
    """Whether a change effective from `effective` holds in `period` (a period that begins on or after it)."""
    return first_month(period) >= first_month(effective)


def format_effective(effective: str, lang: str = "zh") -> str:
    """2016年 / 2016年第一季度 / 2016年3月, or 2016 / 2016 Q1 / March 2016."""
    if "-" in effective:
        year, month = first_month(effective)
        return f"{year}年{month}月" if lang == "zh" else f"{_MONTHS[month - 1]} {year}"
    return format_period(effective, lang)


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
