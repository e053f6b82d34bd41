"""`shequ mail`: briefings and reminders received by a real SMTP server on localhost — the right people, each their
own county's, the PDF readable, Chinese subjects and file names intact; a refusing server retried and reported."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from deliveries import (AWAITING_2014, MISSING_2014, Inbox, delivery_template, delivery_url, pdf_text,  # noqa: F401
                        smtp_server, write_config)
from etl.config import indicators
from etl.store.audit import events
from etl.store.db import make_engine
from etl.store.deliveries import deliveries
from etl.store.load import set_statuses
from etl.store.queries import submissions
from etl.store.status import Status

from dashboard.cli import cli
from dashboard.i18n import fmt_value

CITY_PEOPLE = {"chen@city.example.cn", "wang@city.example.cn"}
COUNTY_PEOPLE = {"li@beiliu.example.cn": "北流市", "zhao@rongxian.example.cn": "容县",
                 "sun@luchuan.example.cn": "陆川县"}


@pytest.fixture
def configured(tmp_path, monkeypatch, smtp_server):
    """Settings pointing at a fresh SMTP server: configured(Inbox(...)) → the inbox."""
    def make(inbox: Inbox, extra: str = "") -> Inbox:
        monkeypatch.setenv("SHEQU_CONFIG", str(write_config(tmp_path / "city.toml", smtp_server(inbox), extra)))
        return inbox
    return make


def shequ(url, *args):
    return CliRunner().invoke(cli, ["--db", url, *args])


def headline_values(url, period, area_code) -> dict:
    """What `shequ indicators` says of the area: the numbers a briefing's body must show."""
    result = shequ(url, "indicators", "--period", period, "--basis", "approved", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = [r for r in json.loads(result.output) if r["area_code"] == area_code]
    return {r["indicator"]: r["value"] for r in rows}


def test_each_recipient_gets_the_briefing_of_their_scope(delivery_url, configured, tmp_path):
    inbox = configured(Inbox())
    result = shequ(delivery_url, "mail", "briefing", "--period", "2015")
    assert result.exit_code == 0, result.output
    got = inbox.messages()
    # users with an address, not disabled (gone) and not without one (nomail)
    assert set(got) == CITY_PEOPLE | set(COUNTY_PEOPLE)
    city_values, beiliu_values = headline_values(delivery_url, "2015", "450900"), \
        headline_values(delivery_url, "2015", "450981")
    for address, msg in got.items():
        area = COUNTY_PEOPLE.get(address, "玉林市")
        assert msg["Subject"] == f"{area}2015年社区标准化建设简报"          # decoded from RFC 2047
        raw = inbox.raw()[address].decode("ascii")                         # as received: all ASCII
        assert "=?utf-8?" in raw.lower()
        [pdf] = list(msg.iter_attachments())
        assert pdf.get_content_type() == "application/pdf"
        assert re.search(r"filename\*(0\*)?=utf-8''%", raw)                     # RFC 2231, percent-encoded UTF-8
        assert pdf.get_filename().endswith(".pdf") and "2015" in pdf.get_filename()
        text = pdf_text(pdf.get_content(), tmp_path)
        assert area in text
        body = msg.get_body(("plain",)).get_content()
        assert "不完整" not in body and "https://shequ.example.cn/briefing?period=2015" in body
        values = beiliu_values if area == "北流市" else (city_values if area == "玉林市" else None)
        for ind in (i for i in indicators() if i.headline and values is not None):
            assert f"{ind.name_zh}：{fmt_value(values[ind.id], ind.unit, 'zh')}" in body
    engine = make_engine(delivery_url)
    log = deliveries(engine, "briefing", "2015")
    assert len(log) == 5 and set(log["status"]) == {"sent"} and set(log["attempts"]) == {1}
    sent = events(engine).query("action == 'delivery-sent'")
    assert {json.loads(d)["recipient"] for d in sent["detail"]} == set(got)


def test_an_incomplete_period_says_so_and_names_the_counties_left_out(delivery_url, configured):
    inbox = configured(Inbox())
    assert shequ(delivery_url, "mail", "briefing", "--period", "2014").exit_code == 0
    got = inbox.messages()
    city = got["chen@city.example.cn"].get_body(("plain",)).get_content()
    assert "本期数据不完整" in city and "5/7" in city and "容县" in city and "陆川县" in city and "不代表全市" in city
    rong = got["zhao@rongxian.example.cn"].get_body(("plain",)).get_content()
    assert "尚未审核通过" in rong and "主要指标" not in rong                # no county figures, no city figures


def test_a_dry_run_lists_who_would_get_what_and_sends_nothing(delivery_url, configured):
    inbox = configured(Inbox())
    result = shequ(delivery_url, "mail", "briefing", "--period", "2015", "--dry-run")
    assert result.exit_code == 0, result.output
    assert inbox.received == [] and "dry run" in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("would-send")]
    assert len(lines) == 5 and any("li@beiliu.example.cn" in line and "北流市" in line for line in lines)
    assert deliveries(make_engine(delivery_url)).empty


def test_a_refusing_server_is_retried_recorded_and_fails_the_command(delivery_url, configured):
    inbox = configured(Inbox(refuse="451 4.3.0 Mailbox busy, try later"))
    # the installed command, as cron runs it: its exit status is what a timer or a script sees
    result = subprocess.run([str(Path(sys.executable).parent / "shequ"), "--db", delivery_url, "mail", "briefing",
                             "--period", "2015"], capture_output=True, text=True, env=dict(os.environ), timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert inbox.tries == 5 * 3                                              # three attempts each
    assert "451" in result.stdout and "failed after 3 attempts" in result.stderr
    engine = make_engine(delivery_url)
    log = deliveries(engine)
    assert set(log["status"]) == {"failed"} and set(log["attempts"]) == {3} and log["error"].str.contains("451").all()
    failed = events(engine).query("action == 'delivery-failed'")
    assert len(failed) == 5 and all("451" in json.loads(d)["error"] for d in failed["detail"])


def test_reminders_reach_only_the_analysts_of_missing_and_returned_counties(delivery_url, configured):
    engine = make_engine(delivery_url)
    subs = submissions(engine, period="2014")
    awaiting = subs[subs["county_code"] == AWAITING_2014]["id"].tolist()
    set_statuses(engine, awaiting, Status.RETURNED, "服务用房面积与上年不符，请核实")
    inbox = configured(Inbox(), '[deadlines]\n"2014" = "2015-01-20"\n')
    listed = shequ(delivery_url, "mail", "reminders", "--period", "2014", "--dry-run")
    assert listed.exit_code == 0 and inbox.received == []
    assert sorted(line.split()[4] for line in listed.output.splitlines() if line.startswith("would-send")) == \
        ["sun@luchuan.example.cn", "zhao@rongxian.example.cn"]
    result = shequ(delivery_url, "mail", "reminders", "--period", "2014")
    assert result.exit_code == 0, result.output
    got = inbox.messages()
    assert set(got) == {"zhao@rongxian.example.cn", "sun@luchuan.example.cn"}
    rong, lu = got["zhao@rongxian.example.cn"], got["sun@luchuan.example.cn"]
    assert rong["Subject"] == "【报送提醒】容县2014年社区标准化建设报表（截止 2015-01-20）"
    assert "尚未收到容县2014年" in rong.get_content() and "2015年1月20日" in rong.get_content()
    assert "已被市里退回" in lu.get_content() and "服务用房面积与上年不符" in lu.get_content()
    assert "2015-01-20" in lu.get_content() and MISSING_2014 not in lu.get_content()
    # counties whose return is in, and users who are no county's analyst, get nothing
    assert "no-recipient" not in result.output


def test_addresses_are_validated_in_both_languages(delivery_url):
    bad = shequ(delivery_url, "user", "set", "li", "--email", "li at beiliu")
    assert bad.exit_code == 2 and "电子邮箱地址无效" in bad.output and "not an e-mail address" in bad.output
    also_bad = shequ(delivery_url, "user", "set", "li", "--email", "a@b.cn, c@d.cn")
    assert also_bad.exit_code == 2
    ok = shequ(delivery_url, "user", "set", "li", "--email", " li2@beiliu.example.cn ")
    assert ok.exit_code == 0 and "li2@beiliu.example.cn" in ok.output
    added = CliRunner().invoke(cli, ["--db", delivery_url, "user", "add", "qian", "--role", "viewer", "--email",
                                     "qian@city.example.cn", "--password-stdin"], input="long-enough-1\n")
    assert added.exit_code == 0, added.output
    users = {u["username"]: u["email"] for u in json.loads(shequ(delivery_url, "user", "list", "--format",
                                                                 "json").output)}
    assert users["li"] == "li2@beiliu.example.cn" and users["qian"] == "qian@city.example.cn"
    assert "user-email" in set(events(make_engine(delivery_url))["action"])


def test_a_password_in_the_settings_file_is_refused(delivery_url, tmp_path, monkeypatch):
    path = tmp_path / "bad.toml"
    path.write_text('[mail]\nhost = "127.0.0.1"\nfrom = "a@b.cn"\npassword = "secret"\n', encoding="utf-8")
    monkeypatch.setenv("SHEQU_CONFIG", str(path))
    result = shequ(delivery_url, "mail", "briefing", "--dry-run")
    assert result.exit_code == 2 and "SHEQU_MAIL_PASSWORD" in result.output
