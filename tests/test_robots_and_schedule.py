"""Group robots (a local HTTP server in WeCom's and DingTalk's place: payloads, DingTalk's signature) and the
schedule (a slot due is sent once, however many runs — one after another or at the same time — see it)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from deliveries import Inbox, Robots, delivery_template, delivery_url, smtp_server, write_config  # noqa: F401
from etl.store.audit import events
from etl.store.db import make_engine
from etl.store.deliveries import deliveries

from dashboard.cli import cli
from dashboard.delivery.schedule import briefing_occurrence, run_due
from dashboard.delivery.settings import delivery_settings

SECRET = "SEC-test-secret-for-signing"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def robots_config(tmp_path, robots: Robots, smtp_port=None, **schedule) -> str:
    base = f"http://127.0.0.1:{robots.port}"
    return str(write_config(tmp_path / "city.toml", smtp_port,
                            f'[robots]\nwecom_url = "{base}/cgi-bin/webhook/send?key=K1"\n'
                            f'dingtalk_url = "{base}/robot/send?access_token=T1"\n', **schedule))


def test_robots_get_the_city_summary_as_markdown_and_dingtalk_requests_are_signed(delivery_url, tmp_path,
                                                                                    monkeypatch):
    monkeypatch.setenv("SHEQU_DINGTALK_SECRET", SECRET)
    with Robots() as robots:
        monkeypatch.setenv("SHEQU_CONFIG", robots_config(tmp_path, robots))
        result = CliRunner().invoke(cli, ["--db", delivery_url, "mail", "briefing", "--period", "2014"])
    assert result.exit_code == 0, result.output
    by_path = {urlsplit(path).path: (path, body) for path, body in robots.requests}
    assert set(by_path) == {"/cgi-bin/webhook/send", "/robot/send"}
    wecom_path, wecom = by_path["/cgi-bin/webhook/send"]
    assert parse_qs(urlsplit(wecom_path).query) == {"key": ["K1"]}
    assert wecom["msgtype"] == "markdown" and set(wecom["markdown"]) == {"content"}
    content = wecom["markdown"]["content"]
    assert content.startswith("### 玉林市2014年社区标准化建设简报") and "本期数据不完整" in content
    assert "[在线查看简报](https://shequ.example.cn/briefing?period=2014)" in content

    ding_path, ding = by_path["/robot/send"]
    assert ding == {"msgtype": "markdown", "markdown": {"title": "玉林市2014年社区标准化建设简报", "text": content}}
    query = parse_qs(urlsplit(ding_path).query)
    assert query["access_token"] == ["T1"]
    [stamp], [sign] = query["timestamp"], query["sign"]          # parse_qs has undone the URL-encoding
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(), hashlib.sha256).digest())
    assert sign == expected.decode()
    assert abs(int(stamp) / 1000 - datetime.now().timestamp()) < 120
    assert "%2B" in ding_path or "%2F" in ding_path or "%3D" in ding_path   # base64's +/= sent URL-encoded


def test_a_robot_answering_an_errcode_is_a_failure(delivery_url, tmp_path, monkeypatch):
    monkeypatch.delenv("SHEQU_DINGTALK_SECRET", raising=False)
    with Robots({"errcode": 93000, "errmsg": "invalid webhook url"}) as robots:
        monkeypatch.setenv("SHEQU_CONFIG", robots_config(tmp_path, robots))
        result = CliRunner().invoke(cli, ["--db", delivery_url, "mail", "briefing", "--period", "2015"])
    assert result.exit_code == 1 and "93000" in result.output
    assert len(robots.requests) == 2 * 3                             # each robot tried three times
    log = deliveries(make_engine(delivery_url))
    assert set(log["channel"]) == {"wecom", "dingtalk"} and set(log["status"]) == {"failed"}


@pytest.mark.parametrize("spec, now, expected", [
    ("mon 08:00", datetime(2026, 12, 7, 8, 3, tzinfo=SHANGHAI), "2026-12-07 08:00"),     # a Monday
    ("mon 08:00", datetime(2026, 12, 7, 7, 59, tzinfo=SHANGHAI), None),                  # not yet
    ("mon 08:00", datetime(2026, 12, 7, 13, 59, tzinfo=SHANGHAI), "2026-12-07 08:00"),   # caught up within 6 h
    ("mon 08:00", datetime(2026, 12, 8, 8, 3, tzinfo=SHANGHAI), None),                   # Tuesday
    ("daily 08:00", datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI), "2026-12-08 08:00"),
    ("every 30m", datetime(2026, 12, 8, 9, 47, 5, tzinfo=SHANGHAI), "2026-12-08 09:30:00"),
    ("", datetime(2026, 12, 8, 9, 0, tzinfo=SHANGHAI), None),
])
def test_briefing_slots(spec, now, expected):
    from datetime import timedelta
    assert briefing_occurrence(spec, now, timedelta(hours=6)) == expected


def test_a_due_slot_is_sent_once_however_many_runs_see_it(delivery_url, tmp_path, monkeypatch, smtp_server):
    inbox = Inbox()
    monkeypatch.setenv("SHEQU_DINGTALK_SECRET", SECRET)
    with Robots() as robots:
        monkeypatch.setenv("SHEQU_CONFIG", robots_config(tmp_path, robots, smtp_server(inbox),
                                                         briefing='"every 10s"', attempts="2", reminder_days="[]"))
        settings, engine = delivery_settings(), make_engine(delivery_url)
        now = datetime(2026, 12, 7, 8, 0, 4, tzinfo=SHANGHAI)         # in the slot 08:00:00–08:00:10
        runs = []
        threads = [threading.Thread(target=lambda: runs.append(run_due(engine, settings, now))) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        runs.append(run_due(engine, settings, now.replace(second=9)))  # later in the same slot
        assert len(inbox.received) == 5 and len(robots.requests) == 2
        sent = [o for run in runs for o in run.outcomes if o.status == "sent"]
        assert len(sent) == 7 and all(run.exit_code == 0 for run in runs)
        assert {o.period for o in sent} == {"2015"}                   # the latest complete period

        result = CliRunner().invoke(cli, ["--db", delivery_url, "schedule", "run-due"])   # now: a slot of its own
        assert result.exit_code == 0, result.output
        assert len(inbox.received) == 10 and len(robots.requests) == 4
    log = deliveries(engine, "briefing")
    assert len(log) == 14 and log["slot"].nunique() == 2 and set(log["status"]) == {"sent"}
    assert (events(engine)["action"] == "delivery-sent").sum() == 14


def test_reminders_go_out_days_before_the_deadline_once(delivery_url, tmp_path, monkeypatch, smtp_server):
    inbox = Inbox()
    monkeypatch.setenv("SHEQU_CONFIG", str(write_config(
        tmp_path / "city.toml", smtp_server(inbox),
        '[deadlines]\n"2014" = "2015-01-20"\n', briefing='""', reminder_time='"09:00"', reminder_days="[3, 0]",
        attempts="1")))
    settings, engine = delivery_settings(), make_engine(delivery_url)
    assert run_due(engine, settings, datetime(2015, 1, 16, 9, 30, tzinfo=SHANGHAI)).outcomes == []   # 4 days before
    for _ in range(2):
        run = run_due(engine, settings, datetime(2015, 1, 17, 9, 30, tzinfo=SHANGHAI))               # 3 days before
    assert set(inbox.raw()) == {"zhao@rongxian.example.cn"}                  # 容县 sent nothing for 2014
    assert [o.status for o in run.outcomes] == ["already-sent"]
    run_due(engine, settings, datetime(2015, 1, 20, 10, 0, tzinfo=SHANGHAI))                         # on the day
    assert len(inbox.received) == 2
    assert "今天截止" in inbox.messages()["zhao@rongxian.example.cn"].get_content()


def test_the_schedule_with_no_channel_configured_sends_nothing_and_succeeds(delivery_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SHEQU_CONFIG", str(write_config(tmp_path / "city.toml", briefing='"every 1m"')))
    result = CliRunner().invoke(cli, ["--db", delivery_url, "schedule", "run-due"])
    assert result.exit_code == 0 and "nothing to send" in result.output
    assert deliveries(make_engine(delivery_url)).empty
    by_hand = CliRunner().invoke(cli, ["--db", delivery_url, "mail", "briefing"])     # a person is told why
    assert by_hand.exit_code == 2 and "[mail] host" in by_hand.output
