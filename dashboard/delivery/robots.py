"""Group robots: a markdown message to a WeCom (企业微信) or DingTalk (钉钉) webhook, DingTalk's signed when it has a
secret. A reply whose errcode is not 0 is a failure."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request

from dashboard.delivery.settings import Robot

TIMEOUT_SECONDS = 30


class RobotError(Exception):
    """The robot's server refused the message (errcode ≠ 0) or did not answer as a robot does."""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64 of HMAC-SHA256 over "timestamp\\nsecret" keyed by the secret, URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def payload(robot: Robot, title: str, text: str) -> dict:
    if robot.channel == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}


def signed_url(robot: Robot, timestamp_ms: int | None = None) -> str:
    if robot.channel != "dingtalk" or not robot.secret:
        return robot.url
    stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    return f"{robot.url}{'&' if '?' in robot.url else '?'}timestamp={stamp}&sign={dingtalk_sign(robot.secret, stamp)}"


def post(robot: Robot, title: str, text: str) -> None:
    """Send one markdown message; RobotError (or OSError) when it was not taken."""
    body = json.dumps(payload(robot, title, text), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(signed_url(robot), data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        raw = response.read()
    try:
        reply = json.loads(raw)
    except ValueError:
        raise RobotError(f"not a robot's reply: {raw[:200]!r}") from None
    if not isinstance(reply, dict) or reply.get("errcode", -1) != 0:
        raise RobotError(f"errcode {reply.get('errcode') if isinstance(reply, dict) else '?'}: "
                         f"{reply.get('errmsg', '') if isinstance(reply, dict) else reply}")
