"""KPI cards: value, target, change since the baseline ("20 → 127 (×6.4)") and a traffic light."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from etl.store.completeness import PeriodState
from etl.config import Indicator, load_settings
from etl.compute.scorecard import STANDING_COLOURS, standing as standing_of

from . import data, ids
from .components import View, standing_badge
from .i18n import fmt_change, fmt_signed, fmt_value, is_missing, period_label, t


def _when(period, lang: str) -> str:
    """"（2013年）" / " (2013)" after a comparison's label; nothing when there is no such period."""
    if not isinstance(period, str):
        return ""
    label = period_label(period, lang)
    return f"（{label}）" if lang == "zh" else f" ({label})"


def kpi_card(ind: Indicator, row: pd.Series | None, lang: str, state: PeriodState | None = None) -> html.Div:
    """Value, target, change since the baseline ("20 → 127 (×6.4)") and where it stands (达标 only when met).

    An incomplete period's city value is a part of the city: it says so instead of a standing, and is compared
    with nothing (its changes are missing: dashboard/data.py)."""
    value = None if row is None else row["value"]
    incomplete = state is not None and not state.complete
    standing = (standing_of(value, ind.target, load_settings(), ind.direction)
                if ind.target and value is not None and not incomplete else None)
    target = f"{t('target', lang)} {fmt_value(ind.target, ind.unit, lang)}" if ind.target else t("no_target", lang)
    if incomplete:
        mark = html.Span(t("incomplete_short", lang, k=len(state.reported), n=len(state.expected)),
                         className="light light-amber kpi-incomplete")
    else:
        mark = standing_badge(standing, lang) if ind.target else None
    compared = row is not None and not is_missing(row["baseline_value"])
    since = fmt_change(row["baseline_value"], value, ind.unit, row["ratio_baseline"]) if compared else "—"
    previous = fmt_signed(row["change_previous"], ind.unit) if row is not None else "—"
    base_when = _when(row.get("baseline_period"), lang) if row is not None and since != "—" else ""
    prev_when = _when(row.get("previous_period"), lang) if row is not None and previous != "—" else ""
    band = STANDING_COLOURS.get(standing) if standing else None
    return html.Div(dbc.Card(dbc.CardBody([
        html.Div(ind.name(lang), className="kpi-name", title=ind.definition_en if lang == "en" else ind.definition_zh),
        html.Div(fmt_value(value, ind.unit, lang), className="kpi-value"),
        html.Div([html.Span(target, className="kpi-target"), mark], className="kpi-line"),
        html.Div([html.Span(t("since_baseline", lang) + base_when + " ", className="kpi-label"), html.Span(since)],
                 className="kpi-change"),
        html.Div([html.Span(t("since_previous", lang) + prev_when + " ", className="kpi-label"), html.Span(previous)],
                 className="kpi-change kpi-previous"),
    ]), className=f"kpi-card kpi-{band or 'none'}" + (" kpi-standing-" + standing if standing else "")),
        id=ids.kpi(ind.id), className="kpi")


def kpi_strip(view: View, shown: list[Indicator]) -> html.Div:
    """The city's cards for the indicators, in order, for the view's period."""
    rows = data.city_values(view.src, view.period).set_index("indicator")
    state = data.period_state(view.src, view.period)
    return html.Div([kpi_card(ind, rows.loc[ind.id] if ind.id in rows.index else None, view.lang, state)
                     for ind in shown], className="kpi-grid", id=ids.KPI_GRID)
