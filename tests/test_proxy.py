"""X-Forwarded-* is believed only from the number of proxies SHEQU_PROXY_HOPS names, and from none by default."""
from __future__ import annotations

import pytest
from flask import Flask, request

from dashboard.proxy import proxy_hops, trust_proxies

# Two proxies wrote these: the city's load balancer (first) and the nginx beside the app (last); or a client
# sent the first values itself.
FORWARDED = {"X-Forwarded-For": "6.6.6.6, 10.1.2.3", "X-Forwarded-Proto": "https, http",
             "X-Forwarded-Host": "shequ.gov, lb.internal"}


def seen(hops: int | None) -> tuple[str, str, str]:
    server = Flask(__name__)
    server.add_url_rule("/", "seen", lambda: f"{request.remote_addr} {request.scheme} {request.host}")
    trust_proxies(server, hops)
    answer = server.test_client().get("/", headers=FORWARDED, environ_base={"REMOTE_ADDR": "127.0.0.3"})
    return tuple(answer.get_data(as_text=True).split())


@pytest.mark.parametrize("setting, expected", [
    (None, ("127.0.0.3", "http", "localhost")),          # unset: a header anyone can send is ignored
    ("0", ("127.0.0.3", "http", "localhost")),
    ("1", ("10.1.2.3", "http", "lb.internal")),           # one proxy: what it appended, not what came before
    ("2", ("6.6.6.6", "https", "shequ.gov")),
])
def test_the_client_address_comes_from_the_trusted_proxies_only(monkeypatch, setting, expected):
    if setting is None:
        monkeypatch.delenv("SHEQU_PROXY_HOPS", raising=False)
    else:
        monkeypatch.setenv("SHEQU_PROXY_HOPS", setting)
    assert seen(None) == expected


@pytest.mark.parametrize("setting", ["one", "-1", "1.5"])
def test_a_wrong_number_of_proxies_stops_the_start(monkeypatch, setting):
    monkeypatch.setenv("SHEQU_PROXY_HOPS", setting)
    with pytest.raises(ValueError, match="SHEQU_PROXY_HOPS"):
        proxy_hops()
