"""The delivery log on each database kind (a message of a slot is claimed by one process only; a failed one may be
claimed again, until MAX_ATTEMPTS; a sent one never), and the deadlines it reminds of."""
from __future__ import annotations

import threading

from etl.store import deliveries

KEY = ("briefing", "2015", "2026-12-07 08:00", "email", "li@beiliu.example.cn")


def test_one_claim_per_message_and_slot(engine):
    first = deliveries.claim(engine, *KEY)
    assert first is not None and deliveries.claim(engine, *KEY) is None          # being sent: not again
    deliveries.finish(engine, first, 3, "SMTPDataError: 451")
    again = deliveries.claim(engine, *KEY)                                         # failed: the next run retries
    assert again == first and deliveries.claim(engine, *KEY) is None
    deliveries.finish(engine, again, 1, None)
    assert deliveries.claim(engine, *KEY) is None                                  # sent: never again
    row = deliveries.deliveries(engine).iloc[0]
    assert (row["status"], row["attempts"], row["error"]) == ("sent", 4, None) and row["sent_at"] is not None
    other_slot = deliveries.claim(engine, *KEY[:2], "2026-12-14 08:00", *KEY[3:])
    assert other_slot not in (None, first)


def test_concurrent_claims_give_the_message_to_one(engine):
    won = []
    barrier = threading.Barrier(4)

    def race():
        barrier.wait()
        won.append(deliveries.claim(engine, *KEY))

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([w for w in won if w is not None]) == 1


def test_a_message_failing_for_ever_stops_being_retried(engine):
    row_id = deliveries.claim(engine, *KEY)
    deliveries.finish(engine, row_id, deliveries.MAX_ATTEMPTS, "SMTPRecipientsRefused: 550 no such user")
    assert deliveries.claim(engine, *KEY) is None


def test_lateness_is_judged_by_the_citys_day():
    from datetime import date, datetime, timezone
    from zoneinfo import ZoneInfo

    from etl.deadlines import deadline, is_late
    due = deadline("2016", {"deadlines": {"days_after_period": 15}})
    assert due == date(2017, 1, 15) and deadline("2016Q3", {"deadlines": {"days_after_period": 15}}) == date(2016, 10, 15)
    assert deadline("2016", {"deadlines": {}}) is None            # no rule the city set: no deadline, nobody late
    evening = datetime(2017, 1, 15, 17, 30, tzinfo=timezone.utc)          # 01:30 on the 16th in Yulin
    assert is_late(evening, due, date(2017, 2, 1), ZoneInfo("Asia/Shanghai"))
    assert not is_late(evening.replace(hour=15), due, date(2017, 2, 1), ZoneInfo("Asia/Shanghai"))
    assert not is_late(None, due, date(2017, 1, 15)) and is_late(None, due, date(2017, 1, 16))


def test_a_send_stopped_by_a_crash_is_reported_once_and_not_resent(engine, monkeypatch, tmp_path):
    """A process that died mid-send leaves its claim "sending": the next scheduled run reports it as failed (in
    its outcome, exit code and the audit log) and marks it stopped — never silently dropped, never sent twice."""
    from datetime import UTC, datetime, timedelta
    from sqlalchemy import update
    from etl.store import audit
    from etl.store.db import delivery
    from etl.store.setup import init_db
    from dashboard.delivery.schedule import run_due
    from dashboard.delivery.settings import delivery_settings
    from deliveries import write_config
    init_db(engine)
    row_id = deliveries.claim(engine, *KEY)
    with engine.begin() as conn:
        conn.execute(update(delivery).where(delivery.c.id == row_id)
                     .values(created_at=datetime.now(UTC) - timedelta(hours=1)))
    monkeypatch.setenv("SHEQU_CONFIG", str(write_config(tmp_path / "city.toml", briefing='""')))
    run = run_due(engine, delivery_settings())
    assert run.exit_code == 1 and [o.recipient for o in run.failed] == [KEY[-1]]
    assert "resend by hand" in run.failed[0].error
    assert audit.events(engine)["action"].tolist()[0] == "delivery-failed"
    assert deliveries.deliveries(engine).iloc[0]["status"] == "stopped"
    assert deliveries.claim(engine, *KEY) is None                      # it may have gone out: not sent again
    assert run_due(engine, delivery_settings()).exit_code == 0          # and said once
