"""What a briefing or reminder says: the headline figures of a scope (the city, or one county) for a period — the
numbers of `shequ indicators` — in an e-mail's plain text and a robot's markdown. An incomplete period says so."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from sqlalchemy.engine import Engine

from etl.config import indicators
from etl.periods import format_period
from etl.store import queries
from etl.store.completeness import PeriodState, period_states
from etl.store.db import city_from_db

from dashboard.i18n import fmt_value


@dataclass(frozen=True)
class Figure:
    name: str
    value: str


@dataclass(frozen=True)
class Summary:
    """One scope's headline figures for a period, and what they cover."""

    period: str
    area_name: str              # the city, or the county
    city_name: str
    county_code: str | None
    figures: tuple[Figure, ...]
    caveat: str | None          # an incomplete period, or a county whose return does not count yet
    link: str | None

    @property
    def title(self) -> str:
        return f"{self.area_name}{format_period(self.period)}社区标准化建设简报"

    def text(self) -> str:
        """The e-mail's body (the PDF is attached)."""
        lines = [self.title]
        if self.figures:
            lines += ["", "主要指标："] + [f"  {f.name}：{f.value}" for f in self.figures]
        if self.caveat:
            lines += ["", f"注意：{self.caveat}"]
        lines += ["", "简报全文见附件（PDF）。"]
        if self.link:
            lines.append(f"在线查看：{self.link}")
        return "\n".join(lines) + "\n"

    def markdown(self) -> str:
        """A group robot's message: no attachment, a link to the dashboard instead."""
        lines = [f"### {self.title}"] + [f"- {f.name}：**{f.value}**" for f in self.figures]
        if self.caveat:
            lines.append(f"\n> ⚠️ {self.caveat}")
        if self.link:
            lines.append(f"\n[在线查看简报]({self.link})")
        return "\n".join(lines)


def county_names(engine: Engine) -> dict[str, str]:
    return queries.places(engine, "county").set_index("code")["name"].to_dict()


def _state(engine: Engine, period: str, basis: str) -> PeriodState | None:
    return next((s for s in period_states(engine, basis) if s.period == period), None)


def caveat(state: PeriodState | None, county: str | None, names: dict[str, str]) -> str | None:
    """What the figures do not cover: a county's own return not counted, or a city figure of some counties only."""
    if county is not None:
        if state is None or county not in state.reported:
            return "本县（市、区）本期报表尚未审核通过，暂无数字。"
        return None
    if state is None:
        return "本期尚无已审核的报表，暂无全市数字。"
    if state.complete:
        return None
    missing = "、".join(names.get(c, c) for c in state.missing)
    return (f"本期数据不完整：仅计入 {len(state.reported)}/{len(state.expected)} 个县（市、区）的报表"
            f"（未计入：{missing}），全市数字只反映已计入的县（市、区），不代表全市。")


def link(base_url: str, path: str, **params) -> str | None:
    return f"{base_url}{path}?{urlencode(params)}" if base_url else None


def briefing_summary(engine: Engine, period: str, county: str | None = None, basis: str = "approved",
                     base_url: str = "") -> Summary:
    """The headline figures of the city (county None) or of a county, as `shequ indicators` has them."""
    city = city_from_db(engine)
    names = county_names(engine)
    level, code = ("county", county) if county else ("city", city.code)
    values = queries.indicator_values(engine, basis, period, level)
    values = values[values["area_code"] == code].set_index("indicator")["value"]
    state = _state(engine, period, basis)
    note = caveat(state, county, names)
    shown = [] if county and note else [Figure(i.name_zh, fmt_value(values.get(i.id), i.unit, "zh"))
                                        for i in indicators() if i.headline and level in i.levels]
    return Summary(period, names.get(county, county) if county else city.name, city.name, county, tuple(shown), note,
                   link(base_url, "/briefing", period=period))


@dataclass(frozen=True)
class Reminder:
    """A county's return for a period that is missing or was sent back, and the deadline."""

    period: str
    county_code: str
    county_name: str
    returned_comment: str | None     # None: nothing came; else the city's comment when it sent the return back
    returned: bool
    deadline: date | None            # None: the city set no deadline for the period
    today: date
    link: str | None

    @property
    def subject(self) -> str:
        due = f"（截止 {self.deadline.isoformat()}）" if self.deadline else ""
        return f"【报送提醒】{self.county_name}{format_period(self.period)}社区标准化建设报表{due}"

    def text(self) -> str:
        what = format_period(self.period)
        if self.returned:
            missing = f"{self.county_name}{what}社区标准化建设报表已被市里退回，需修改后重新报送。"
            if self.returned_comment:
                missing += f"\n退回意见：{self.returned_comment}"
        else:
            missing = f"尚未收到{self.county_name}{what}社区标准化建设报表。"
        lines = [f"{self.county_name}：", "", missing]
        if self.deadline is None:
            lines.append("本期未设定报送截止日期，请尽快报送。")
        else:
            days = (self.deadline - self.today).days
            when = (f"还有 {days} 天" if days > 0 else "今天截止" if days == 0 else f"已逾期 {-days} 天")
            lines.append(f"报送截止日期：{self.deadline.year}年{self.deadline.month}月{self.deadline.day}日"
                         f"（{self.deadline.isoformat()}，{when}）。")
        if self.link:
            lines.append(f"请登录上传：{self.link}")
        return "\n".join(lines) + "\n"


def reminders(engine: Engine, period: str, due: date | None, today: date, base_url: str = "") -> list[Reminder]:
    """The counties whose return for the period is missing (nothing counts on the current basis) or was sent back."""
    from etl.store.status import Status
    names = county_names(engine)
    state = _state(engine, period, "current")
    reported = set(state.reported) if state else set()
    subs = queries.submissions(engine, period=period)
    newest = subs.sort_values("id").drop_duplicates("county_code", keep="last").set_index("county_code")
    out = []
    for code in sorted(names):
        if code in reported:
            continue
        returned = code in newest.index and newest.loc[code, "status"] == Status.RETURNED
        comment = newest.loc[code, "comment"] if returned else None
        out.append(Reminder(period, code, names[code], comment or None, returned, due, today,
                            link(base_url, "/upload", period=period)))
    return out
