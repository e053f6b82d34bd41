"""Behind a reverse proxy: trust the X-Forwarded-* headers of exactly SHEQU_PROXY_HOPS proxies, and none by default.

The audit log records `request.remote_addr`. Behind nginx that is the proxy's own address unless the client's is
taken from X-Forwarded-For; but a header anyone can send must be trusted only as far as the proxies in front of us
write it, so the number of proxies is a setting (0 or unset: the headers are ignored, the direct peer counts).
"""
from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

ENV = "SHEQU_PROXY_HOPS"


def proxy_hops() -> int:
    """The number of trusted proxies in front of the app (SHEQU_PROXY_HOPS; 0 when unset)."""
    value = os.environ.get(ENV, "").strip() or "0"
    try:
        hops = int(value)
    except ValueError:
        raise ValueError(f"{ENV} must be a whole number of proxies (0, 1, 2 …), not {value!r}") from None
    if hops < 0:
        raise ValueError(f"{ENV} must be 0 or more, not {hops}")
    return hops


def trust_proxies(server: Flask, hops: int | None = None) -> None:
    """Take the client's address, scheme and host from the last `hops` proxies' X-Forwarded-For/-Proto/-Host."""
    hops = proxy_hops() if hops is None else hops
    if hops:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
