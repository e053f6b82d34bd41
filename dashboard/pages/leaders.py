"""包联 Leaders: the leadership responsibility system — who links which communities, and do they meet standard."""
from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from etl.config import indicator_map

from dashboard import data, figures, ids
from dashboard.components import View, card, empty_state, graph, make_view, safe_layout, shell, table
from dashboard.kpi import kpi_strip
from dashboard.i18n import county_name, fmt_signed, fmt_value, period_label, t

PATH = "/leaders"
dash.register_page(__name__, path=PATH, name="包联", name_en="Leaders", order=4, title="包联 · 玉林市社区")

LEVELS = {"prefecture": "厅级", "county": "县级"}
LEADER_KPIS = ("leaders_prefecture", "leaders_county", "weak_linked_pct", "leader_load_ok_pct")


def level_label(level: str, lang: str) -> str:
    return t("prefecture" if level == "厅级" else "county_level", lang)


def leader_records(acc: pd.DataFrame, names: pd.Series, lang: str) -> list[dict]:
    return [{"leader": r["leader_name"], "level": level_label(r["leader_level"], lang), "post": r["leader_post"] or "",
             "county": "、".join(county_name(c, names.get(c), lang) for c in r["county_codes"]),
             "communities": int(r["communities"]), "meets_now": int(r["meets_now"]),
             "meets_baseline": int(r["meets_baseline"]), "change": fmt_signed(r["change"], "count")}
            for _, r in acc.iterrows()]


def leader_grid(view: View, acc: pd.DataFrame, names: pd.Series) -> dag.AgGrid:
    num = {"type": "rightAligned", "filter": "agNumberColumnFilter", "width": 120}
    cols = [{"field": "leader", "headerName": t("leader", view.lang), "pinned": "left"},
            {"field": "level", "headerName": t("level", view.lang), "width": 130},
            {"field": "post", "headerName": t("post", view.lang)},
            {"field": "county", "headerName": t("county", view.lang)},
            {"field": "communities", "headerName": t("linked", view.lang), **num},
            {"field": "meets_now", "headerName": t("meets_now", view.lang), **num},
            {"field": "meets_baseline", "headerName": t("meets_baseline", view.lang), **num},
            {"field": "change", "headerName": t("change", view.lang), "type": "rightAligned", "width": 110}]
    return dag.AgGrid(id=ids.LEADER_GRID, rowData=leader_records(acc, names, view.lang), columnDefs=cols,
                      defaultColDef={"sortable": True, "filter": True, "resizable": True},
                      dashGridOptions={"animateRows": False}, style={"height": "420px"})


def weak_unlinked(view: View, names: pd.Series) -> html.Div:
    rows = data.community_table(view.src, view.period)
    weak = rows[rows["weak"].astype(bool) & rows["n_leaders"].eq(0)] if len(rows) else rows
    if weak.empty:
        return html.P(t("none_found", view.lang), className="hint", id="weak-unlinked")
    body = [[r["community_name"], county_name(r["county_code"], names.get(r["county_code"]), view.lang),
             r["township_name"]] for _, r in weak.iterrows()]
    cols = [(t("community", view.lang), "text"), (t("county", view.lang), "text"), (t("township_col", view.lang), "text")]
    return html.Div([html.Div(t("rows", view.lang, n=len(body)), className="row-count"), table(cols, body)],
                    id="weak-unlinked")


def outside_rule(view: View, acc: pd.DataFrame) -> html.Div:
    odd = acc[(acc["communities"] < 1) | (acc["communities"] > 3)] if len(acc) else acc
    if odd.empty:
        return html.P(t("none_found", view.lang), className="hint", id="outside-rule")
    body = [[r["leader_name"], level_label(r["leader_level"], view.lang), r["leader_post"] or "",
             fmt_value(r["communities"], "count", view.lang)] for _, r in odd.iterrows()]
    cols = [(t("leader", view.lang), "text"), (t("level", view.lang), "text"), (t("post", view.lang), "text"),
            (t("linked", view.lang), "num")]
    return html.Div(table(cols, body), id="outside-rule")


def level_picker(view: View, level: str | None):
    options = [{"label": t("prefecture", view.lang), "value": "prefecture"},
               {"label": t("county_level", view.lang), "value": "county"}]
    return html.Div([html.Label(t("level", view.lang), className="control-label"),
                     dcc.Dropdown(id=ids.qparam("level"), options=options, value=level,
                                  placeholder=t("all_levels", view.lang), className="control-select")],
                    className="control")


@safe_layout(PATH)
def layout(**query):
    view = make_view(PATH, query, "level")
    level = view.params.get("level") if view.params.get("level") in LEVELS else None
    view.params["level"] = level
    title = t("leaders_title", view.lang, period=period_label(view.period, view.lang))
    if view.period is None:
        return shell(view, title, empty_state(view.lang))
    acc = data.leaders(view.src, view.period)
    names = data.counties(view.src).set_index("code")["name"]
    shown = acc[acc["leader_level"] == LEVELS[level]] if level and len(acc) else acc
    source = figures.source_text(view.period, view.lang, view.src.basis)
    chart = figures.leader_bars(acc, view.lang, t("leader_chart_title", view.lang,
                                                  period=period_label(view.period, view.lang)), source)
    table_ = indicator_map()
    cards = kpi_strip(view, [table_[i] for i in LEADER_KPIS if i in table_])
    return shell(view, title, cards,
                 dbc.Row([dbc.Col(card("", graph(chart, view.lang, ids.LEADER_CHART)), lg=5),
                          dbc.Col([card(t("weak_unlinked", view.lang), weak_unlinked(view, names)),
                                   card(t("outside_rule", view.lang), outside_rule(view, acc))], lg=7)]),
                 card(t("leader", view.lang), html.Div(t("rows", view.lang, n=len(shown)), className="row-count"),
                      leader_grid(view, shown, names)),
                 controls=level_picker(view, level))
