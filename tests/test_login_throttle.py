"""Logins that cannot be told apart and back-off instead of lock-out: the same work and answer for unknown, wrong
and disabled; throttling per address and per account from an address, strict under parallel guesses."""
from __future__ import annotations

import re
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from dash_requests import form_token
from sqlalchemy import insert, select

from etl.store import throttle
from etl.store.db import login_throttle, make_engine
from etl.store.setup import init_db
from etl.store.users import add_user, authenticate, set_disabled

PASSWORD = "throttle-pass-1"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def counters(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(select(login_throttle.c.key, login_throttle.c.failures)).all())


def timed(call, *args) -> tuple[object, float]:
    start = time.perf_counter()
    result = call(*args)
    return result, time.perf_counter() - start


def test_an_account_from_one_address_backs_off_doubling_to_a_cap(engine):
    add_user(engine, "ana", PASSWORD, "viewer")
    reasons = [authenticate(engine, "ana", "wrong", "10.0.0.66", T0).reason for _ in range(5)]
    assert reasons == ["password"] * 5
    throttled = authenticate(engine, "ana", PASSWORD, "10.0.0.66", T0)      # even the right password waits
    assert throttled.reason == "throttled" and throttled.retry_after == timedelta(minutes=1)
    now, waits = T0, []
    for _ in range(7):                        # once each wait is over, one more try, then a longer wait
        now += throttled.retry_after
        assert authenticate(engine, "ana", "wrong", "10.0.0.66", now).reason == "password"
        throttled = authenticate(engine, "ana", "wrong", "10.0.0.66", now)
        waits.append(throttled.retry_after)
    assert waits == [timedelta(minutes=m) for m in (2, 4, 8, 15, 15, 15, 15)]
    assert authenticate(engine, "ana", PASSWORD, "10.0.0.7", now).user is not None   # her own address: open
    later = now + throttle.FORGET_AFTER + timedelta(minutes=1)                    # an hour without tries: forgotten
    assert authenticate(engine, "ana", PASSWORD, "10.0.0.66", later).user is not None


def test_throttled_attempts_cost_no_hashing_for_known_and_unknown_names(engine):
    add_user(engine, "ana", PASSWORD, "viewer")
    for name in ("ana", "nobody"):
        admitted = [timed(authenticate, engine, name, "wrong", "10.0.0.66") for _ in range(5)]
        assert {a.reason for a, _ in admitted} == {"password" if name == "ana" else "unknown"}
        refused = [timed(authenticate, engine, name, "wrong", "10.0.0.66") for _ in range(5)]
        assert {a.reason for a, _ in refused} == {"throttled"}
        assert statistics.median(s for _, s in refused) < statistics.median(s for _, s in admitted) / 3
    assert counters(engine)["user:nobody@10.0.0.66"] == 5           # refused attempts are counted nowhere


def test_one_address_trying_many_names_is_throttled_others_are_not(engine):
    for i in range(throttle.PER_ADDRESS):
        assert authenticate(engine, f"guess{i}", "wrong", "10.0.0.66", T0).reason == "unknown"
    assert authenticate(engine, "guess-more", "wrong", "10.0.0.66", T0).reason == "throttled"
    assert authenticate(engine, "guess-more", "wrong", "10.0.0.67", T0).reason == "unknown"


def test_the_account_key_is_looser_and_shared_by_every_address(engine):
    add_user(engine, "ana", PASSWORD, "viewer")
    with engine.begin() as conn:                  # as if 50 addresses had each guessed, the last just now
        conn.execute(insert(login_throttle).values(key="user:ana", failures=throttle.PER_ACCOUNT + 3,
                                                   last_failure_at=T0, blocked_until=T0 + timedelta(minutes=8)))
        conn.execute(insert(login_throttle).values(key="user:ana@10.0.0.7", failures=6,
                                                   last_failure_at=T0, blocked_until=T0 + timedelta(minutes=2)))
    waiting = authenticate(engine, "ana", PASSWORD, "10.0.0.7", T0 + timedelta(seconds=30))
    assert waiting.reason == "throttled" and waiting.retry_after == timedelta(minutes=7, seconds=30)  # the longest
    assert counters(engine) == {"user:ana": throttle.PER_ACCOUNT + 3, "user:ana@10.0.0.7": 6}  # refused: not counted
    assert authenticate(engine, "ana", PASSWORD, "10.0.0.7", T0 + timedelta(minutes=8)).user is not None


def test_a_success_clears_the_account_from_that_address_and_gives_back_the_others(engine):
    add_user(engine, "ana", PASSWORD, "viewer")
    for _ in range(4):
        authenticate(engine, "ana", "wrong", "10.0.0.7", T0)
    assert authenticate(engine, "ana", PASSWORD, "10.0.0.7", T0).user is not None
    assert counters(engine) == {"ip:10.0.0.7": 4, "user:ana": 4}
    assert [authenticate(engine, "ana", "wrong", "10.0.0.7", T0).reason for _ in range(5)] == ["password"] * 5


def test_a_disabled_account_says_so_only_to_its_right_password(engine):
    add_user(engine, "off", PASSWORD, "viewer")
    set_disabled(engine, "off")
    assert authenticate(engine, "off", "wrong", "10.0.0.7").reason == "password"
    assert authenticate(engine, "off", PASSWORD, "10.0.0.7").reason == "disabled"


def test_parallel_guesses_cannot_pass_the_gate(engine):
    """20 guesses at once, from one address: at most PER_ACCOUNT_AND_ADDRESS passwords are checked (the rest are
    refused before hashing), and every key counts exactly the attempts it admitted — no update lost."""
    add_user(engine, "ana", PASSWORD, "viewer")
    start, reasons = threading.Barrier(20), []

    def guess():
        start.wait()
        reasons.append(authenticate(engine, "ana", "wrong", "10.0.0.66").reason)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    checked = reasons.count("password")
    assert len(reasons) == 20 and checked == throttle.PER_ACCOUNT_AND_ADDRESS
    assert reasons.count("throttled") == 20 - checked
    assert counters(engine) == {"ip:10.0.0.66": checked, "user:ana@10.0.0.66": checked, "user:ana": checked}


# --- through the web: the same answer, the same time ------------------------------------------------------

@pytest.fixture
def web(tmp_path):
    """The app over SQLite: a known user, a disabled one."""
    from dashboard.app import create_app
    url = f"sqlite:///{tmp_path / 'shequ.db'}"
    engine = make_engine(url)
    init_db(engine)
    add_user(engine, "ana", PASSWORD, "viewer")
    add_user(engine, "off", PASSWORD, "viewer")
    set_disabled(engine, "off")
    yield create_app(url, secret_key="k", cache_dir=tmp_path / "cache").server.test_client()
    engine.dispose()


def post_login(client, name, password, addr, forwarded_for=None):
    token = form_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": addr},
                       headers={"X-Forwarded-For": forwarded_for} if forwarded_for else {})


def answer(response, name) -> tuple[int, str]:
    """Status and page, the parts that must differ (the name typed, this visit's token) taken out."""
    body = response.get_data(as_text=True).replace(f'value="{name}"', 'value="NAME"')
    return response.status_code, re.sub(r'name="csrf_token" value="[^"]+"', "TOKEN", body)


def test_unknown_wrong_and_disabled_take_as_long_and_answer_alike(web):
    names = {"unknown": "nobody", "wrong": "ana", "disabled": "off"}
    seconds, answers = {kind: [] for kind in names}, {kind: set() for kind in names}
    for i in range(20):                                   # interleaved, so that a busy moment hits all three
        for kind, name in names.items():
            response, spent = timed(post_login, web, name, "wrong password", f"10.1.{i}.1")
            seconds[kind].append(spent)
            answers[kind].add(answer(response, name))
    medians = {kind: statistics.median(s) for kind, s in seconds.items()}
    assert max(medians.values()) < 1.25 * min(medians.values()), medians
    assert len(set.union(*answers.values())) == 1 and next(iter(answers["unknown"]))[0] == 401
    assert "用户名或密码不正确" in next(iter(answers["unknown"]))[1]


def test_a_throttled_address_gets_429_whether_the_name_exists_or_not(web):
    said = set()
    for name in ("ana", "nobody"):
        for _ in range(5):
            assert post_login(web, name, "wrong password", "10.0.0.66").status_code == 401
        said.add(answer(post_login(web, name, "wrong password", "10.0.0.66"), name))
    assert len(said) == 1
    status, body = said.pop()
    assert status == 429 and "尝试次数过多，请 1 分钟后再试" in body
    english = web.post("/login?lang=en", data={"username": "ana", "password": "x", "csrf_token": form_token(
        web.get("/login").get_data(as_text=True))},
        environ_base={"REMOTE_ADDR": "10.0.0.66"})
    assert english.status_code == 429 and "Too many attempts: try again in 1 min." in english.get_data(as_text=True)
    assert post_login(web, "ana", PASSWORD, "10.0.0.7").status_code == 302     # not from another address


def test_behind_a_proxy_each_client_is_throttled_by_its_own_address(tmp_path, monkeypatch):
    from dashboard.app import create_app
    url = f"sqlite:///{tmp_path / 'shequ.db'}"
    init_db(make_engine(url))
    add_user(make_engine(url), "ana", PASSWORD, "viewer")
    monkeypatch.setenv("SHEQU_PROXY_HOPS", "1")
    behind = create_app(url, secret_key="k", cache_dir=tmp_path / "cache").server.test_client()
    proxy = "10.0.0.1"
    assert [post_login(behind, "ana", "wrong", proxy, "203.0.113.9").status_code for _ in range(6)] == \
        [401] * 5 + [429]
    assert post_login(behind, "ana", PASSWORD, proxy, "198.51.100.7").status_code == 302   # the owner, same proxy
    monkeypatch.delenv("SHEQU_PROXY_HOPS")
    direct = create_app(url, secret_key="k", cache_dir=tmp_path / "cache").server.test_client()
    forged = [post_login(direct, "ana", "wrong", "10.0.0.66", f"192.0.2.{i}").status_code for i in range(6)]
    assert forged == [401] * 5 + [429]      # without a proxy the header is not believed: no way round the gate


def test_an_address_guessing_names_waits_another_address_does_not(web):
    for i in range(throttle.PER_ADDRESS):
        assert post_login(web, f"guess{i}", "wrong password", "10.0.0.66").status_code == 401
    assert post_login(web, "ana", PASSWORD, "10.0.0.66").status_code == 429
    assert post_login(web, "guess-more", "wrong password", "10.0.0.67").status_code == 401
    assert post_login(web, "ana", PASSWORD, "10.0.0.67").status_code == 302
