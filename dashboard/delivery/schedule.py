"""The schedule ([schedule] in the settings): which slots are due now, and one run that sends them. Run every few
minutes by `shequ schedule run-due` (cron, a systemd timer) or by the Celery beat of `shequ worker --beat`; the
delivery log's unique key makes a slot send once however many runs see it due."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from etl.deadlines import deadline, named_periods, period_end
from etl.read.problems import ShequError
from etl.store import audit, deliveries
from etl.store.completeness import default_period, period_states
from etl.store.queries import submissions

from dashboard.delivery.send import BRIEFING, REMINDER, Outcome, Run, deliver_briefings, deliver_reminders
from dashboard.delivery.settings import Delivery, delivery_settings

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_AT = re.compile(r"^(?:(daily|mon|tue|wed|thu|fri|sat|sun)\s+)?(\d{1,2}):(\d{2})$")
_EVERY = re.compile(r"^every\s+(\d+)\s*([smh])$")
_UNITS = {"s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True)
class Slot:
    kind: str          # briefing | reminder
    period: str
    slot: str          # the occurrence it stands for, as the delivery log keys it


def _clock(text: str) -> time:
    m = _AT.match(text.strip())
    if not m or int(m.group(2)) > 23 or int(m.group(3)) > 59:
        raise ShequError(f"[schedule] {text!r} is not a time of day like 08:00 / 时间格式应如 08:00", 2)
    return time(int(m.group(2)), int(m.group(3)))


def briefing_occurrence(spec: str, now: datetime, catch_up: timedelta) -> str | None:
    """The briefing's slot due at `now` (a local time), as text; None when none is ("", or past its catch-up)."""
    spec = spec.strip().lower()
    if not spec:
        return None
    if m := _EVERY.match(spec):
        step = int(m.group(1)) * _UNITS[m.group(2)]
        start = datetime.fromtimestamp(now.timestamp() // step * step, now.tzinfo)
        return start.strftime("%Y-%m-%d %H:%M:%S")
    m = _AT.match(spec)
    if not m:
        raise ShequError(f"[schedule] briefing = {spec!r}: write \"mon 08:00\", \"daily 08:00\" or \"every 30m\" / "
                         "简报时间格式应如 \"mon 08:00\"", 2)
    at = _clock(spec.split()[-1])
    day = now.date()
    if m.group(1) not in (None, "daily"):
        day -= timedelta(days=(now.weekday() - DAYS.index(m.group(1))) % 7)
    when = datetime.combine(day, at, now.tzinfo)
    if when > now:                       # today's time not yet come: the one before (a week or a day earlier)
        when -= timedelta(days=1 if m.group(1) in (None, "daily") else 7)
    return when.strftime("%Y-%m-%d %H:%M") if now - when <= catch_up else None


def reminder_slots(engine: Engine, settings: Delivery, now: datetime) -> list[Slot]:
    """For each period whose deadline is reminder_days away (at reminder_time, within the catch-up), one slot."""
    at, catch_up = _clock(settings.reminder_time), timedelta(hours=settings.catch_up_hours)
    today = now.date()
    periods = set(submissions(engine)["period"]) | set(named_periods(settings.data)) | {str(today.year - 1)}
    out = []
    for period in sorted(p for p in periods if period_end(p) < today):
        due = deadline(period, settings.data)
        if due is None:                   # the city set no deadline: nothing to remind of ahead of it
            continue
        for days in sorted(set(settings.reminder_days), reverse=True):
            when = datetime.combine(due - timedelta(days=days), at, now.tzinfo)
            if when <= now <= when + catch_up:
                out.append(Slot(REMINDER, period, f"{due.isoformat()} -{days}d {at:%H:%M}"))
    return out


def due_slots(engine: Engine, settings: Delivery, now: datetime) -> list[Slot]:
    """Every slot due at `now` (local time of the settings' time zone)."""
    out = []
    occurrence = briefing_occurrence(settings.briefing, now, timedelta(hours=settings.catch_up_hours))
    period = default_period(period_states(engine, "approved")) if occurrence else None
    if occurrence and period:
        out.append(Slot(BRIEFING, period, occurrence))
    return out + reminder_slots(engine, settings, now)


def run_due(engine: Engine, settings: Delivery | None = None, now: datetime | None = None) -> Run:
    """Send whatever is due now and was not sent yet; a slot already sent sends nothing."""
    settings = settings or delivery_settings()
    zone = ZoneInfo(settings.timezone)
    now = now.astimezone(zone) if now else datetime.now(zone)
    run = Run()
    for row in deliveries.interrupted(engine).itertuples():   # a crash mid-send: said, not silently dropped
        error = "interrupted: the sending process stopped; it may or may not have gone out — resend by hand"
        audit.record(engine, "delivery-failed", "schedule", kind=row.kind, period=row.period, slot=row.slot,
                     channel=row.channel, recipient=row.recipient, error=error)
        run.outcomes.append(Outcome(row.kind, row.period, row.channel, row.recipient, "", "failed", error))
    for slot in due_slots(engine, settings, now):       # a channel not configured: nothing to send through it
        if slot.kind == BRIEFING and (settings.mail is not None or settings.robots):
            run.extend(deliver_briefings(engine, settings, slot.period, slot.slot, actor="schedule"))
        elif slot.kind == REMINDER and settings.mail is not None:
            run.extend(deliver_reminders(engine, settings, slot.period, slot.slot, today=now.date(),
                                         actor="schedule"))
    return run


def today_in(settings: Delivery) -> date:
    """Today's date in the schedule's time zone (deadlines are days there)."""
    return datetime.now(ZoneInfo(settings.timezone)).date()
