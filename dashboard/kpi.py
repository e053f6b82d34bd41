"""KPI cards: value, target, change since the baseline ("20 → 127 (×6.4)") and a traffic light."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from etl.config import Indicator, load_settings
from etl.scorecard import light

from . import data
from .components import View, light_badge
from .i18n import fmt_change, fmt_signed, fmt_value, t


def kpi_card(ind: Indicator, row: pd.Series | None, lang: str) -> html.Div:
    """Value, target, change since the baseline ("20 → 127 (×6.4)") and a traffic light."""
    value = None if row is None else row["value"]
    lamp = light(value, ind.target, load_settings()) if ind.target and value is not None else None
    target = f"{t('target', lang)} {fmt_value(ind.target, ind.unit, lang)}" if ind.target else t("no_target", lang)
    since = fmt_change(row["baseline_value"], value, ind.unit, row["ratio_baseline"]) if row is not None else "—"
    previous = fmt_signed(row["change_previous"], ind.unit) if row is not None else "—"
    return html.Div(dbc.Card(dbc.CardBody([
        html.Div(ind.name(lang), className="kpi-name", title=ind.definition_en if lang == "en" else ind.definition_zh),
        html.Div(fmt_value(value, ind.unit, lang), className="kpi-value"),
        html.Div([html.Span(target, className="kpi-target"), light_badge(lamp, lang) if ind.target else None],
                 className="kpi-line"),
        html.Div([html.Span(t("since_baseline", lang) + " ", className="kpi-label"), html.Span(since)],
                 className="kpi-change"),
        html.Div([html.Span(t("since_previous", lang) + " ", className="kpi-label"), html.Span(previous)],
                 className="kpi-change kpi-previous"),
    ]), className=f"kpi-card kpi-{lamp or 'none'}"), id=f"kpi-{ind.id}", className="kpi")


def kpi_strip(view: View, shown: list[Indicator]) -> html.Div:
    """The city's cards for the indicators, in order, for the view's period."""
    rows = data.city_values(view.src, view.period).set_index("indicator")
    return html.Div([kpi_card(ind, rows.loc[ind.id] if ind.id in rows.index else None, view.lang)
                     for ind in shown], className="kpi-grid", id="kpi-grid")
