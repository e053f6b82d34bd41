"""Returns that wait for the city's approval, said on the overview: a loaded system must not look empty.

The officials' pages show approved figures by default, so returns submitted but not yet approved are invisible
there. An admin is told how many wait, with a link to approve them; when nothing is approved yet, everyone sees
that returns wait for approval (and where to see them provisionally) instead of "no returns — please upload".
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from etl.periods import period_sort_key
from etl.store.status import Status

from . import auth, data, ids
from .components import View
from .i18n import period_label, t

ADMIN_PATH = "/admin"


def awaiting_returns(view: View) -> pd.DataFrame:
    """The returns submitted and not yet approved, sent back or superseded."""
    subs = data.submissions(view.src)
    return subs[subs["status"] == Status.SUBMITTED]


def _review_period(view: View, waiting: pd.DataFrame) -> str:
    """The period an admin is sent to approve: the one on the page when it has returns waiting, else the newest."""
    periods = set(waiting["period"])
    return view.period if view.period in periods else max(periods, key=period_sort_key)


def _is_admin() -> bool:
    who = auth.user()
    return who is not None and who.is_admin


def awaiting_notice(view: View) -> dbc.Alert | None:
    """For an admin, when returns wait for approval: "有 21 份报表待审核 去审核 →" (to /admin); else None."""
    waiting = awaiting_returns(view)
    if waiting.empty or not _is_admin():
        return None
    periods = set(waiting["period"])
    text = (t("awaiting_notice_period", view.lang, n=len(waiting), period=period_label(min(periods), view.lang))
            if len(periods) == 1 else t("awaiting_notice", view.lang, n=len(waiting)))
    return dbc.Alert([html.Span(text, className="me-2"), _review_link(view, waiting, "alert-link")],
                     color="warning", className="awaiting-notice d-print-none", id=ids.AWAITING_NOTICE)


def _review_link(view: View, waiting: pd.DataFrame, className: str) -> dcc.Link:
    href = view.link(ADMIN_PATH, period=_review_period(view, waiting))
    return dcc.Link(t("awaiting_link", view.lang) + " →", href=href, className=f"{className} awaiting-link")


def awaiting_empty_state(view: View) -> dbc.Alert | None:
    """The empty state when no approved figure shows yet but returns wait for approval (None when none wait)."""
    waiting = awaiting_returns(view) if view.src.basis == "approved" else pd.DataFrame()
    if waiting.empty:
        return None
    admin = _is_admin()
    actions = [dcc.Link(t("awaiting_provisional", view.lang), href=view.link("/", basis="current", period=None),
                        className="btn btn-outline-secondary btn-sm")]
    if admin:
        actions.insert(0, _review_link(view, waiting, "btn btn-primary btn-sm me-2"))
    return dbc.Alert([html.H2(t("awaiting_title", view.lang), className="h5"),
                      html.P(t("awaiting_body_admin" if admin else "awaiting_body", view.lang, n=len(waiting))),
                      html.Div(actions)],
                     color="light", className="empty-state awaiting-empty", id=ids.EMPTY_STATE)
