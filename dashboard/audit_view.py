"""The audit log as people read it: each action and its details in words of the page's language, not codes."""
from __future__ import annotations

import json
from collections.abc import Mapping

import pandas as pd
from sqlalchemy.engine import Engine

from etl.store import audit
from etl.config import indicator_map

from .components import table
from .data import county_names
from .i18n import LABELS, county_name, period_label, t

# Details said in the page's language, in this order; others (none today) are shown as "key: value".
ORDER = ("user", "username_added", "role", "sessions", "submission", "county", "period", "file", "status", "errors", "comment",
         "version", "reason", "sets", "what", "format", "basis", "periods", "levels", "indicator_ids", "values", "rows",
         "filters", "kind", "channel", "recipient", "email", "scope", "slot", "attempts", "error")
SKIP = ("column_filters", "sort")      # a grid's own filter and sort models: in the stored record, too long to read


def action_label(action: str, lang: str) -> str:
    """批准 / Approved for 'approve'; an action this page does not know is shown as it is stored."""
    key = f"audit_{action}"
    return t(key, lang) if key in LABELS else action


def _county(code, lang: str, counties: Mapping[str, str]) -> str:
    return county_name(code, counties.get(code), lang)


def _word(prefix: str, value, lang: str) -> str:
    key = f"{prefix}{value}"
    return t(key, lang) if key in LABELS else str(value)


def _listed(values, say, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(say(v) for v in values)


def detail_part(key: str, value, lang: str, counties: Mapping[str, str]) -> str | None:
    """One detail of an audit record in words: '报表 #12', '北流市', '2016年', '意见：请补充…'."""
    if value is None or value == "" or value == [] or value == {} or key in SKIP:
        return None
    if key == "county":
        return _county(value, lang, counties)
    if key == "period":
        return period_label(str(value), lang)
    if key == "periods":
        return _listed(value, lambda p: period_label(str(p), lang), lang)
    if key == "role":
        return _word("role_", value, lang)
    if key == "status":
        return _word("audit_status_", value, lang)
    if key == "reason":
        return _word("audit_reason_", value, lang)
    if key == "basis":
        return _word("basis_", value, lang)
    if key == "levels":
        return _listed(value, lambda v: _word("level_", v, lang), lang)
    if key == "indicator_ids":
        known = indicator_map()
        return _listed(value, lambda i: known[i].name(lang) if i in known else str(i), lang)
    if key == "sets":                   # registry-apply: each change set's period and changes, in words
        from .registry_panel import sets_in_words
        return sets_in_words(value, lang) if isinstance(value, list) else str(value)
    if key == "what":
        return _word("audit_what_", value, lang)
    if key in ("kind", "channel"):           # a delivery's: briefing or reminder, by e-mail or a group robot
        return _word("delivery_", value, lang)
    if key == "format":
        return str(value).upper()
    if key in ("user", "username_added"):
        return t("audit_detail_user", lang, v=value)
    if key in ORDER:
        return t(f"audit_detail_{key}", lang, v=value)
    return f"{key}: {value}"


def describe(detail: str | None, lang: str, counties: Mapping[str, str]) -> str:
    """A record's stored details (JSON) as one line in the page's language; counties: code → name."""
    try:
        values = json.loads(detail or "{}")
    except ValueError:
        return str(detail)
    if not isinstance(values, dict):
        return str(values)
    keys = [k for k in ORDER if k in values] + [k for k in values if k not in ORDER]
    parts = [detail_part(k, values[k], lang, counties) for k in keys]
    return ("；" if lang == "zh" else "; ").join(p for p in parts if p)


def _when(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def audit_table(engine: Engine, lang: str, limit: int = 200):
    """The latest records, newest first: time, user, action and details in words, address."""
    events, counties = audit.events(engine, limit=limit), county_names(engine)
    rows = [[_when(r["at"]), r["username"] or "", action_label(r["action"], lang),
             describe(r["detail"], lang, counties), r["remote_addr"] or ""] for _, r in events.iterrows()]
    return table([(t("time", lang), "text"), (t("username", lang), "text"), (t("action", lang), "text"),
                  (t("detail", lang), "text"), (t("address", lang), "text")], rows, className="admin-audit-table")
