"""The delivery settings ([mail], [robots], [web], [schedule] of etl/settings.toml and SHEQU_CONFIG); secrets only
from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass

from etl.config import settings_data
from etl.read.problems import ShequError

MAIL_PASSWORD_ENV = "SHEQU_MAIL_PASSWORD"
DINGTALK_SECRET_ENV = "SHEQU_DINGTALK_SECRET"
SECURITIES = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class Mail:
    host: str
    port: int
    sender: str
    security: str
    user: str

    @property
    def password(self) -> str | None:
        return os.environ.get(MAIL_PASSWORD_ENV) or None


@dataclass(frozen=True)
class Robot:
    channel: str            # wecom | dingtalk
    url: str

    @property
    def secret(self) -> str | None:
        return os.environ.get(DINGTALK_SECRET_ENV) or None if self.channel == "dingtalk" else None


@dataclass(frozen=True)
class Delivery:
    mail: Mail | None       # None: no SMTP host, no e-mail
    robots: tuple[Robot, ...]
    base_url: str
    timezone: str
    briefing: str           # "mon 08:00", "daily 08:00", "every 30m", ""
    reminder_time: str
    reminder_days: tuple[int, ...]
    catch_up_hours: float
    attempts: int
    retry_seconds: float
    data: dict              # everything read, for the deadlines (etl/deadlines.py)


def delivery_settings(path=None) -> Delivery:
    """What `shequ mail` and the schedule send through, and when; a clear error for a setting that cannot work."""
    data = settings_data(path)
    mail, robots = data.get("mail", {}), data.get("robots", {})
    if "password" in mail:
        raise ShequError(f"[mail] password must not be in a settings file: set {MAIL_PASSWORD_ENV} / "
                         f"邮件密码不得写在配置文件中，请用环境变量 {MAIL_PASSWORD_ENV}", 2)
    security = str(mail.get("security", "starttls"))
    if security not in SECURITIES:
        raise ShequError(f"[mail] security must be one of {', '.join(SECURITIES)}, not {security!r}", 2)
    smtp = Mail(str(mail["host"]), int(mail.get("port", 587)), str(mail.get("from", "")), security,
                str(mail.get("user", ""))) if mail.get("host") else None
    if smtp and not smtp.sender:
        raise ShequError("[mail] from is empty: the sender's address is needed / 请在 [mail] from 中填写发件地址", 2)
    hooks = tuple(Robot(channel, str(robots[f"{channel}_url"])) for channel in ("wecom", "dingtalk")
                  if robots.get(f"{channel}_url"))
    schedule = data.get("schedule", {})
    return Delivery(smtp, hooks, str(data.get("web", {}).get("base_url", "")).rstrip("/"),
                    str(schedule.get("timezone", "Asia/Shanghai")), str(schedule.get("briefing", "")),
                    str(schedule.get("reminder_time", "09:00")),
                    tuple(int(d) for d in schedule.get("reminder_days", (7, 3, 0))),
                    float(schedule.get("catch_up_hours", 6)), max(1, int(schedule.get("attempts", 3))),
                    float(schedule.get("retry_seconds", 5)), data)
