"""Reporting deadlines: each period's date from the settings ([deadlines]), and which returns came late."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from etl.config import settings_data
from etl.periods import period_sort_key


def period_end(period: str) -> date:
    """The last day of a period: 31 December of a year, the last day of a quarter."""
    year, quarter = period_sort_key(period)
    if not quarter:
        return date(year, 12, 31)
    first_of_next = date(year + quarter // 4, quarter % 4 * 3 + 1, 1)
    return first_of_next - timedelta(days=1)


def deadline(period: str, data: dict | None = None) -> date | None:
    """The period's reporting deadline: named in [deadlines], else days_after_period after the period ends when
    the city set such a rule; None when it set neither (no return is then called late: a date the city never
    decided would mark returns loaded years later, such as the demo's, as late)."""
    rules = (data if data is not None else settings_data()).get("deadlines", {})
    named = rules.get(period)
    if named:
        return named if isinstance(named, date) else date.fromisoformat(str(named))
    if "days_after_period" not in rules:
        return None
    return period_end(period) + timedelta(days=int(rules["days_after_period"]))


def named_periods(data: dict | None = None) -> list[str]:
    """The periods that [deadlines] gives a date of their own."""
    rules = (data if data is not None else settings_data()).get("deadlines", {})
    return sorted((k for k in rules if k != "days_after_period"), key=period_sort_key)


def zone(data: dict | None = None) -> ZoneInfo:
    """The city's time zone ([schedule] timezone): a deadline is a day there."""
    return ZoneInfo((data if data is not None else settings_data()).get("schedule", {}).get("timezone",
                                                                                          "Asia/Shanghai"))


def is_late(first_submitted: datetime | None, due: date, today: date, where: ZoneInfo | None = None) -> bool:
    """A return first submitted after its deadline's day (in the city's time zone, `where`), or none at all once
    the deadline has passed."""
    if first_submitted is None:
        return today > due
    if where is not None and first_submitted.tzinfo is not None:
        first_submitted = first_submitted.astimezone(where)
    return first_submitted.date() > due
