"""包联 Leaders: the leadership responsibility system — who links which communities, and do they meet standard."""
from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from etl.config import indicator_map

from dashboard import data, figures, ids
from dashboard.components import View, card, empty_state, graph, make_view, paged, safe_layout, shell, table
from dashboard.kpi import kpi_strip
from dashboard.i18n import MISSING, county_name, dropdown_labels, fmt_signed, fmt_value, grid_locale, period_label, t

PATH = "/leaders"
dash.register_page(__name__, path=PATH, name="包联", name_en="Leaders", order=4, title=data.page_title("包联"))

LEVELS = {"prefecture": "厅级", "county": "县级"}
PAGE_ROWS = 50      # rows per page of the two lists (a nation's leaders are in the grid, which scrolls)
LEADER_KPIS = ("leaders_prefecture", "leaders_county", "weak_linked_pct", "leader_load_ok_pct")


def level_label(level: str, lang: str) -> str:
    return t("prefecture" if level == "厅级" else "county_level", lang)


def leader_records(acc: pd.DataFrame, names: pd.Series, lang: str, baseline: str | None = None) -> list[dict]:
    """The grid's rows, column by column (a nation has tens of thousands of leaders: no per-row pandas access).

    Without a baseline (no period up to this one has leader links) the baseline and the change are "—", not 0."""
    county_label = {c: county_name(c, names.get(c), lang) for c in names.index}
    levels = {lv: level_label(lv, lang) for lv in acc["leader_level"].unique()}
    return [{"leader": name, "level": levels[level], "post": post or "",
             "county": "、".join(county_label.get(c) or c for c in codes),
             "communities": int(n), "meets_now": int(now), "meets_baseline": int(then) if baseline else MISSING,
             "change": fmt_signed(change, "count") if baseline else MISSING}
            for name, level, post, codes, n, now, then, change in zip(
                acc["leader_name"], acc["leader_level"], acc["leader_post"], acc["county_codes"], acc["communities"],
                acc["meets_now"], acc["meets_baseline"], acc["change"])]


def baseline_header(baseline: str | None, lang: str) -> str:
    """"基期（2014年）达标": the period the leaders' communities are compared with, named."""
    return t("meets_baseline_in", lang, period=period_label(baseline, lang)) if baseline else t("meets_baseline", lang)


def leader_grid(view: View, acc: pd.DataFrame, names: pd.Series, baseline: str | None) -> dag.AgGrid:
    num = {"type": "rightAligned", "filter": "agNumberColumnFilter", "width": 120}
    cols = [{"field": "leader", "headerName": t("leader", view.lang), "pinned": "left"},
            {"field": "level", "headerName": t("level", view.lang), "width": 130},
            {"field": "post", "headerName": t("post", view.lang)},
            {"field": "county", "headerName": t("county", view.lang)},
            {"field": "communities", "headerName": t("linked", view.lang), **num},
            {"field": "meets_now", "headerName": t("meets_now", view.lang), **num},
            {"field": "meets_baseline", "headerName": baseline_header(baseline, view.lang), **num, "width": 170},
            {"field": "change", "headerName": t("change", view.lang), "type": "rightAligned", "width": 110}]
    return dag.AgGrid(id=ids.LEADER_GRID, rowData=leader_records(acc, names, view.lang, baseline), columnDefs=cols,
                      # Headers wrap rather than being cut ("Met at baseline…"); the filters speak the page's language.
                      defaultColDef={"sortable": True, "filter": True, "resizable": True, "wrapHeaderText": True,
                                     "autoHeaderHeight": True},
                      dashGridOptions={"animateRows": False, "localeText": grid_locale(view.lang)},
                      style={"height": "420px"})


def weak_unlinked(view: View, names: pd.Series, linked_counties: set[str]) -> html.Div:
    """The weak communities nobody links, in the counties whose returns came with links (elsewhere whether
    anybody links them is unknown)."""
    rows = data.community_table(view.src, view.period)
    weak = (rows[rows["weak"].astype(bool) & rows["n_leaders"].eq(0) & rows["county_code"].isin(linked_counties)]
            if len(rows) else rows)
    if weak.empty:
        return html.P(t("none_found", view.lang), className="hint", id=ids.WEAK_UNLINKED)
    shown, nav = paged(view, weak, PAGE_ROWS, ids.WEAK_UNLINKED_PAGER, "weak_page")
    body = [[name, county_name(code, names.get(code), view.lang), town]
            for name, code, town in zip(shown["community_name"], shown["county_code"], shown["township_name"])]
    cols = [(t("community", view.lang), "text"), (t("county", view.lang), "text"), (t("township_col", view.lang), "text")]
    return html.Div([html.Div(t("rows", view.lang, n=len(weak)), className="row-count"), nav, table(cols, body)],
                    id=ids.WEAK_UNLINKED)


def outside_rule(view: View, acc: pd.DataFrame) -> html.Div:
    odd = acc[(acc["communities"] < 1) | (acc["communities"] > 3)] if len(acc) else acc
    if odd.empty:
        return html.P(t("none_found", view.lang), className="hint", id=ids.OUTSIDE_RULE)
    shown, nav = paged(view, odd, PAGE_ROWS, ids.OUTSIDE_RULE_PAGER, "rule_page")
    body = [[name, level_label(level, view.lang), post or "", fmt_value(n, "count", view.lang)]
            for name, level, post, n in zip(shown["leader_name"], shown["leader_level"], shown["leader_post"],
                                            shown["communities"])]
    cols = [(t("leader", view.lang), "text"), (t("level", view.lang), "text"), (t("post", view.lang), "text"),
            (t("linked", view.lang), "num")]
    return html.Div([nav, table(cols, body)], id=ids.OUTSIDE_RULE)


def level_picker(view: View, level: str | None):
    options = [{"label": t("prefecture", view.lang), "value": "prefecture"},
               {"label": t("county_level", view.lang), "value": "county"}]
    return html.Div([html.Label(t("level", view.lang), className="control-label"),
                     dcc.Dropdown(id=ids.qparam("level"), options=options, value=level,
                                  labels=dropdown_labels(view.lang),
                                  placeholder=t("all_levels", view.lang), className="control-select")],
                    className="control")


def no_leader_data(lang: str) -> dbc.Alert:
    """A period whose returns came without a leader sheet: no leader figures at all, rather than zeros."""
    return dbc.Alert(html.P(t("no_leader_sheet", lang), className="mb-0"), color="light",
                     className="empty-state", id=ids.NO_LEADER_DATA)


def without_sheet(view: View, names: pd.Series, linked_counties: set[str]) -> dbc.Alert | None:
    """The counties of the period whose return came without a leader sheet, named (their communities are not in
    the leader figures)."""
    reported = set(data.community_table(view.src, view.period)["county_code"])
    missing = sorted(reported - linked_counties)
    if not missing:
        return None
    shown = ("、" if view.lang == "zh" else ", ").join(county_name(c, names.get(c), view.lang) for c in missing)
    return dbc.Alert(t("no_leader_sheet_counties", view.lang, counties=shown), color="warning",
                     id=ids.NO_LEADER_SHEET_COUNTIES)


def baseline_note(view: View, baseline: str | None) -> html.P | None:
    """Why "met at baseline" is of a later period than the configured baseline, when it is."""
    configured = data.baseline_period()
    if baseline is None or baseline == configured:
        return None
    return html.P(t("leader_baseline_note", view.lang, baseline=period_label(configured, view.lang),
                    period=period_label(baseline, view.lang)), className="hint", id=ids.LEADER_BASELINE_NOTE)


@safe_layout(PATH)
def layout(**query):
    view = make_view(PATH, query, "level", "weak_page", "rule_page")
    level = view.params.get("level") if view.params.get("level") in LEVELS else None
    view.params["level"] = level
    title = t("leaders_title", view.lang, period=period_label(view.period, view.lang))
    if view.period is None:
        return shell(view, title, empty_state(view.lang))
    acc = data.leaders(view.src, view.period)
    if acc.empty:
        return shell(view, title, no_leader_data(view.lang))
    baseline = data.leader_baseline(view.src, view.period)
    names = data.counties(view.src).set_index("code")["name"]
    linked_counties = {c for codes in acc["county_codes"] for c in codes}
    shown = acc[acc["leader_level"] == LEVELS[level]] if level else acc
    source = figures.source_text(view.period, view.lang, view.src.basis)
    chart = figures.leader_bars(acc, view.lang, t("leader_chart_title", view.lang,
                                                  period=period_label(view.period, view.lang)), source, baseline)
    table_ = indicator_map()
    cards = kpi_strip(view, [table_[i] for i in LEADER_KPIS if i in table_])
    return shell(view, title, cards, without_sheet(view, names, linked_counties),
                 dbc.Row([dbc.Col(card("", graph(chart, view.lang, ids.LEADER_CHART), baseline_note(view, baseline)),
                                  lg=5),
                          dbc.Col([card(t("weak_unlinked", view.lang), weak_unlinked(view, names, linked_counties)),
                                   card(t("outside_rule", view.lang), outside_rule(view, acc))], lg=7)]),
                 card(t("leader", view.lang), html.Div(t("rows", view.lang, n=len(shown)), className="row-count"),
                      leader_grid(view, shown, names, baseline)),
                 controls=level_picker(view, level))
