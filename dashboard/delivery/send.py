"""Send a period's briefings and reminders: each recipient's message claimed in the delivery log, tried a few times
with back-off, its outcome in the log and the audit log. A failure is reported (the run's exit code), never dropped."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from etl.deadlines import deadline, named_periods, period_end
from etl.periods import period_sort_key
from etl.read.problems import ShequError
from etl.store import audit, deliveries
from etl.store.completeness import default_period, period_states
from etl.store.db import app_user, city_from_db

from dashboard.delivery import mail, robots
from dashboard.delivery.settings import Delivery
from dashboard.delivery.summary import briefing_summary, county_names, reminders

BRIEFING, REMINDER = "briefing", "reminder"


@dataclass(frozen=True)
class Outcome:
    """One message: sent, failed (after its attempts), already sent in this slot, or only listed (a dry run)."""

    kind: str
    period: str
    channel: str                 # email | wecom | dingtalk
    recipient: str               # an address, or "group" for a robot
    scope: str                   # the city's or the county's name
    status: str                  # sent | failed | already-sent | would-send | no-recipient
    error: str | None = None
    attempts: int = 0


@dataclass
class Run:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def exit_code(self) -> int:
        return int(bool(self.failed))

    def extend(self, other: "Run") -> "Run":
        self.outcomes.extend(other.outcomes)
        return self


@dataclass(frozen=True)
class Recipient:
    username: str
    email: str
    role: str
    county_code: str | None


def recipients(engine: Engine) -> list[Recipient]:
    """The enabled users with an e-mail address."""
    u = app_user.c
    with engine.connect() as conn:
        rows = conn.execute(select(u.username, u.email, u.role, u.county_code)
                            .where(u.email.is_not(None), u.email != "", u.disabled.is_(False))
                            .order_by(u.username)).all()
    return [Recipient(*row) for row in rows]


def manual_slot() -> str:
    """A command's own slot: a person who runs it again means it to be sent again."""
    return "manual " + datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def with_retries(action, attempts: int, retry_seconds: float, sleep=time.sleep) -> tuple[int, str | None]:
    """Try the action up to `attempts` times, waiting retry_seconds, then twice as long each time: (tries, the last
    error or None)."""
    error = None
    for n in range(1, attempts + 1):
        try:
            action()
            return n, None
        except Exception as exc:         # any failure of a send is recorded as its error, and tried again
            error = f"{type(exc).__name__}: {exc}"
            if n < attempts:
                sleep(retry_seconds * 2 ** (n - 1))
    return attempts, error


def _deliver(engine: Engine, settings: Delivery, actor: str, kind: str, period: str, slot: str, channel: str,
             recipient: str, scope: str, action) -> Outcome:
    """Claim, send with retries, record: the one path every message takes."""
    row_id = deliveries.claim(engine, kind, period, slot, channel, recipient)
    if row_id is None:
        return Outcome(kind, period, channel, recipient, scope, "already-sent")
    tries, error = with_retries(action, settings.attempts, settings.retry_seconds)
    deliveries.finish(engine, row_id, tries, error)
    audit.record(engine, "delivery-failed" if error else "delivery-sent", actor, kind=kind, period=period,
                 slot=slot, channel=channel, recipient=recipient, scope=scope, attempts=tries, error=error)
    return Outcome(kind, period, channel, recipient, scope, "failed" if error else "sent", error, tries)


def _need_a_channel(settings: Delivery, robots_too: bool) -> None:
    if settings.mail is None and not (robots_too and settings.robots):
        raise ShequError("没有可用的发送渠道：请在设置中填写 [mail] host" + (" 或 [robots]" if robots_too else "") +
                         " / nothing to send through: set [mail] host" + (" or [robots]" if robots_too else ""), 2)


def deliver_briefings(engine: Engine, settings: Delivery, period: str | None = None, slot: str | None = None,
                      dry_run: bool = False, basis: str = "approved", actor: str = "cli") -> Run:
    """Each recipient the briefing of their scope (a county's user their county's, others the city's) as a PDF
    with the headline figures in the body; each group robot the city's summary with a link."""
    from dashboard.briefing_pdf import briefing_filename, briefing_pdf
    _need_a_channel(settings, robots_too=True)
    period = period or default_period(period_states(engine, basis))
    if period is None:
        raise ShequError("没有可发送的报告期 / no period with figures to send", 1)
    slot = slot or manual_slot()
    city, names = city_from_db(engine), county_names(engine)
    summaries, pdfs, run = {}, {}, Run()

    def summary_of(scope):
        if scope not in summaries:
            summaries[scope] = briefing_summary(engine, period, scope, basis, settings.base_url)
        return summaries[scope]

    def pdf_of(scope):
        if scope not in pdfs:
            pdfs[scope] = (briefing_pdf(engine, period=period, county=scope, lang="zh", basis=basis),
                           briefing_filename(city.name, period, names.get(scope) if scope else None, "zh"))
        return pdfs[scope]

    for person in recipients(engine) if settings.mail else []:
        scope = person.county_code if person.county_code in names else None
        summary = summary_of(scope)
        if dry_run:
            run.outcomes.append(Outcome(BRIEFING, period, "email", person.email, summary.area_name, "would-send"))
            continue

        def send(person=person, summary=summary, scope=scope):
            msg = mail.message(settings.mail.sender, person.email, summary.title, summary.text(), pdf_of(scope))
            mail.send(settings.mail, msg)

        run.outcomes.append(_deliver(engine, settings, actor, BRIEFING, period, slot, "email", person.email,
                                     summary.area_name, send))
    for robot in settings.robots:
        summary = summary_of(None)
        if dry_run:
            run.outcomes.append(Outcome(BRIEFING, period, robot.channel, "group", summary.area_name, "would-send"))
            continue
        run.outcomes.append(_deliver(engine, settings, actor, BRIEFING, period, slot, robot.channel, "group",
                                     summary.area_name,
                                     lambda robot=robot, s=summary: robots.post(robot, s.title, s.markdown())))
    return run


def reminder_period(engine: Engine, settings: Delivery, today: date) -> str:
    """The period reminders are about by default: the latest that has ended (of those with returns or a deadline
    of their own, and last year)."""
    from etl.store.queries import submissions
    known = set(submissions(engine)["period"]) | set(named_periods(settings.data)) | {str(today.year - 1)}
    ended = [p for p in known if period_end(p) < today]
    return max(ended, key=period_sort_key)


def deliver_reminders(engine: Engine, settings: Delivery, period: str | None = None, slot: str | None = None,
                      dry_run: bool = False, today: date | None = None, actor: str = "cli") -> Run:
    """To the analysts of each county whose return for the period is missing or was sent back: what is missing
    and the deadline. A county with no analyst's address is listed as no-recipient."""
    _need_a_channel(settings, robots_too=False)
    today = today or date.today()
    period = period or reminder_period(engine, settings, today)
    due = deadline(period, settings.data)
    slot = slot or manual_slot()
    people = [p for p in recipients(engine) if p.role == "analyst"]
    run = Run()
    for reminder in reminders(engine, period, due, today, settings.base_url):
        analysts = [p for p in people if p.county_code == reminder.county_code]
        if not analysts:
            run.outcomes.append(Outcome(REMINDER, period, "email", "", reminder.county_name, "no-recipient"))
        for person in analysts:
            if dry_run:
                run.outcomes.append(Outcome(REMINDER, period, "email", person.email, reminder.county_name,
                                            "would-send"))
                continue

            def send(person=person, reminder=reminder):
                mail.send(settings.mail, mail.message(settings.mail.sender, person.email, reminder.subject,
                                                      reminder.text()))

            run.outcomes.append(_deliver(engine, settings, actor, REMINDER, period, slot, "email", person.email,
                                         reminder.county_name, send))
    return run
