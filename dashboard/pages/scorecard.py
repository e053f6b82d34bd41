"""考核 Scorecard: counties × weighted indicators, each with its value and traffic light, score, rank and change."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from etl.config import indicator_map, load_settings

from dashboard import data, figures, ids
from dashboard.components import (View, card, empty_state, make_view, paged, safe_layout, shell, standing_badge,
                                  standing_legend)
from dashboard.i18n import county_name, dropdown_labels, fmt_number, fmt_value, period_label, t

PATH = "/scorecard"
dash.register_page(__name__, path=PATH, name="考核", name_en="Scorecard", order=1, title=data.page_title("考核"))

BASE_SORTS = ("rank", "county")
# Rows per page: Yulin's 7 counties fit on one; a province's or the nation's hundreds are paged (the address
# keeps the page), so that a click draws at most this many rows.
PAGE_ROWS = 50


def sort_keys() -> tuple[str, ...]:
    return BASE_SORTS + tuple(load_settings().weights)


def sorted_card(card_df: pd.DataFrame, sort: str) -> pd.DataFrame:
    """Rank order by default; by county code; or by one indicator, best first."""
    if sort == "county":
        return card_df.sort_values("area_code")
    if sort in card_df.columns and sort != "rank":
        return card_df.sort_values([sort, "rank"], ascending=[False, True], na_position="last")
    return card_df.sort_values(["rank", "area_code"])


def rank_change_cell(change, lang: str):
    if change is None or pd.isna(change):
        return html.Span("—", className="rank-none")
    change = int(change)
    if change > 0:
        return html.Span(f"▲ {change}", className="rank-up", title=t("rank_change", lang))
    if change < 0:
        return html.Span(f"▼ {-change}", className="rank-down", title=t("rank_change", lang))
    return html.Span("＝", className="rank-same")


def scorecard_table(view: View, rows: pd.DataFrame, sort: str) -> html.Div:
    """The counties' rows as given (sorted, one page of them), under headers that sort by their column."""
    table = indicator_map()
    weights = load_settings().weights
    names = data.counties(view.src).set_index("code")["name"]

    def head(label, key, numeric=True, weight=None):
        link = dcc.Link(label + (" ▾" if sort == key else ""),
                        href=view.link(sort=key if key != "rank" else None, page=None),
                        className="sort-link")
        note = html.Div(t("weight_of", view.lang, weight=fmt_number(weight, "count")), className="weight") if weight else None
        return html.Th([link, note], className="num" if numeric else None)

    header = [head(t("county", view.lang), "county", False)]
    header += [head(table[i].name(view.lang), i, weight=w) for i, w in weights.items()]
    header += [head(t("score", view.lang), "rank"), html.Th(t("rank", view.lang), className="num"),
               html.Th(t("rank_change", view.lang), className="num")]
    body = []
    for row in rows.itertuples(index=False):
        row = row._asdict()
        cells = [html.Td(county_name(row["area_code"], names.get(row["area_code"]), view.lang), className="county-cell")]
        for i in weights:
            cells.append(html.Td([fmt_value(row[i], table[i].unit, view.lang), " ",
                                  standing_badge(row[f"{i}_standing"], view.lang, compact=True)], className="num"))
        cells += [html.Td(fmt_number(row["score"], "pct").rstrip("%"), className="num score-cell"),
                  html.Td("—" if pd.isna(row["rank"]) else str(int(row["rank"])), className="num"),
                  html.Td(rank_change_cell(row["rank_change"], view.lang), className="num")]
        body.append(html.Tr(cells, id=ids.score_row(row['area_code'])))
    return html.Div(html.Table([html.Thead(html.Tr(header)), html.Tbody(body)],
                               className="table table-sm table-hover data-table scorecard-table"),
                    className="table-box", id=ids.SCORECARD_TABLE)


def weights_note(view: View) -> html.Div:
    """How the score is made, what each mark means, and how a cell that does not apply is scored."""
    settings = load_settings()
    table = indicator_map()
    parts = [f"{table[i].name(view.lang)} {fmt_number(w, 'count')}" for i, w in settings.weights.items()]
    sep = "；" if view.lang == "zh" else "; "
    return html.Div([
        html.P(t("weights", view.lang) + ("：" if view.lang == "zh" else ": ") + sep.join(parts), className="hint"),
        html.P(t("weights_note", view.lang), className="hint"),
        html.P(t("not_applicable_note", view.lang), className="hint", id=ids.SCORECARD_NA_NOTE),
        standing_legend(view.lang, settings.green, settings.amber),
    ], className="weights-note")


def incomplete_note(view: View) -> dbc.Alert | None:
    """An incomplete period's ranking is among the counties that reported: said above the table."""
    state = data.period_state(view.src, view.period)
    if state is None or state.complete:
        return None
    return dbc.Alert(t("scorecard_incomplete", view.lang, k=len(state.reported), n=len(state.expected)),
                     color="warning", className="py-2", id=ids.SCORECARD_INCOMPLETE)


def sort_picker(view: View, sort: str):
    table = indicator_map()
    options = [{"label": f"{t('score', view.lang)} / {t('rank', view.lang)}", "value": "rank"},
               {"label": t("county", view.lang), "value": "county"}]
    options += [{"label": table[i].name(view.lang), "value": i} for i in load_settings().weights]
    return html.Div([html.Label(t("sort", view.lang), className="control-label"),
                     dcc.Dropdown(id=ids.qparam("sort"), options=options, value=sort, clearable=False,
                                  labels=dropdown_labels(view.lang),
                                  className="control-select wide")], className="control")


@safe_layout(PATH)
def layout(**query):
    view = make_view(PATH, query, "sort", "page")
    sort = view.params.get("sort") if view.params.get("sort") in sort_keys() else "rank"
    view.params["sort"] = None if sort == "rank" else sort
    title = t("scorecard_title", view.lang, period=period_label(view.period, view.lang))
    if view.period is None:
        return shell(view, title, empty_state(view.lang))
    card_df = data.scorecard(view.src, view.period)
    if card_df.empty:
        return shell(view, title, empty_state(view.lang))
    shown, nav = paged(view, sorted_card(card_df, sort), PAGE_ROWS, ids.SCORECARD_PAGER)
    return shell(view, title,
                 card("", incomplete_note(view), nav, scorecard_table(view, shown, sort), weights_note(view)),
                 html.Div(figures.source_text(view.period, view.lang, view.src.basis), className="page-source"),
                 controls=sort_picker(view, sort))
