"""报送 Reporting: which county returned which period, the submissions' warnings, and data-quality flags."""
from __future__ import annotations

from datetime import datetime

import dash
import pandas as pd
from dash import html

from etl.config import settings_data
from etl.deadlines import deadline, is_late, zone
from etl.periods import period_sort_key
from etl.store.status import LIVE, Status

from dashboard import data, ids
from dashboard.components import View, card, empty_state, make_view, paged, safe_layout, shell, table
from dashboard.i18n import county_name, fmt_number, fmt_value, period_label, t
from dashboard.quality import reporting_matrix, warning_rows

PATH = "/reporting"
dash.register_page(__name__, path=PATH, name="报送", name_en="Reporting", order=5, title=data.page_title("报送"))
PAGE_ROWS = 50      # counties of the matrix, warnings, flags: rows per page

FIELD_UNITS = {"service_area_m2": "m2", "service_items": "items", "facilities": "count", "staff": "people",
               "trained": "person_times"}


def _date(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def matrix(view: View, names: pd.Series) -> html.Div:
    """County × period: the newest return's status and date, or 'not received'; paged by counties."""
    subs = data.submissions(view.src)
    periods = sorted(set(subs["period"]) | set(view.periods), key=period_sort_key)
    shown, nav = paged(view, names, PAGE_ROWS, ids.REPORTING_MATRIX_PAGER)
    counties = list(shown.index)
    grid = reporting_matrix(subs, counties, periods)
    cell_of = {(r["county_code"], r["period"]): r for r in grid.to_dict("records")}   # one lookup per cell
    settings = settings_data()
    due, where = {p: deadline(p, settings) for p in periods}, zone(settings)
    first = subs.groupby(["county_code", "period"])["uploaded_at"].min().to_dict() if len(subs) else {}
    today = datetime.now(where).date()
    rows = [[html.Strong(t("deadline_row", view.lang))] +
            [html.Span(due[p].isoformat() if due[p] else t("deadline_not_set", view.lang), className="hint deadline",
                       id=ids.deadline(p)) for p in periods]]
    for county in counties:
        cells = [county_name(county, names.get(county), view.lang)]
        for p in periods:
            cell = cell_of[(county, p)]
            came = first.get((county, p))
            late = [html.Span(t("late", view.lang), className="light light-red late-mark",
                              title=t("late_title", view.lang, deadline=due[p].isoformat()))] \
                if due[p] and is_late(None if came is None or pd.isna(came) else pd.Timestamp(came).to_pydatetime(),
                                      due[p], today, where) else []
            if cell["status"] is None:
                cells.append(html.Div([html.Span("✗ " + t("not_received", view.lang), className="light light-red"),
                                       *late], className="matrix-cell"))
            else:
                mark = "✓ " if cell["status"] in LIVE else "! "
                comment = [html.Div(cell["comment"], className="hint matrix-comment")] \
                    if cell["status"] == Status.RETURNED and cell.get("comment") else []
                cells.append(html.Div([html.Span(mark + t(f"status_{cell['status']}", view.lang),
                                                 className="light " + ("light-green" if mark == "✓ " else "light-amber")),
                                       html.Div(_date(cell["uploaded_at"]), className="hint"), *late, *comment],
                                      className="matrix-cell"))
        rows.append(cells)
    rows.append([html.Strong(t("reported_row", view.lang))] + [completeness_cell(view, p) for p in periods])
    cols = [(t("county", view.lang), "text")] + [(period_label(p, view.lang), "text") for p in periods]
    return html.Div([nav,
                     table(cols, rows, className="reporting-matrix")], id=ids.REPORTING_MATRIX)


def completeness_cell(view: View, period: str) -> html.Span:
    """The matrix's last row: how many counties' returns count in the basis shown, and whether the period is
    complete — what decides if its city figures are the city's (etl/store/completeness.py)."""
    state = data.period_state(view.src, period)
    k, n = (len(state.reported), len(state.expected)) if state else (0, len(data.counties(view.src)))
    complete = state is not None and state.complete
    word = t("period_complete" if complete else "period_incomplete", view.lang)
    return html.Span(f"{'✓' if complete else '!'} {k}/{n} {word}",
                     className="light " + ("light-green" if complete else "light-amber"), id=ids.reported(period))


def warnings(view: View, names: pd.Series) -> html.Div:
    rows = warning_rows(data.submissions(view.src, view.period), view.lang)
    if rows.empty:
        return html.P(t("no_warnings", view.lang), className="hint", id=ids.REPORTING_WARNINGS)
    total = len(rows)
    rows, nav = paged(view, rows, PAGE_ROWS, ids.REPORTING_WARNINGS_PAGER, "warnings_page")
    body = [[county_name(r["county_code"], names.get(r["county_code"]), view.lang), r["file_name"], r["sheet"] or "",
             "" if pd.isna(r["row"]) else str(int(r["row"])), r["column"] or "", r["message"]]
            for _, r in rows.iterrows()]
    cols = [(t("county", view.lang), "text"), (t("file", view.lang), "text"), (t("sheet", view.lang), "text"),
            (t("row", view.lang), "num"), ("列" if view.lang == "zh" else "Column", "text"), (t("message", view.lang), "text")]
    return html.Div([html.Div(t("rows", view.lang, n=total), className="row-count"),
                     nav,
                     table(cols, body)], id=ids.REPORTING_WARNINGS)


def flag_text(r, lang: str) -> str:
    """What a flag says, in words a person can check against the return: how far it fell, which standard it fell
    below, or how far it lies from the quartile of its peers."""
    unit = FIELD_UNITS.get(r["field"], "count")
    if r["flag"] == "fell":
        return t("flag_fell", lang, pct=fmt_number(100 * (1 - r["value"] / r["previous"]), "pct"))
    if r["flag"] == "threshold":
        return t("flag_threshold", lang, standard=fmt_value(r["reference"], "m2", lang))
    peers = t(f"peers_{r['peers']}", lang)
    if r["detail"] == "high" and r["reference"] == 0:
        return t("flag_high_zero", lang, peers=peers)
    ratio = r["value"] / r["reference"] if r["detail"] == "high" else r["reference"] / r["value"]
    return t(f"flag_{r['detail']}", lang, peers=peers, quartile=fmt_value(r["reference"], unit, lang),
             ratio=fmt_number(ratio, "ratio"))


def flags(view: View, names: pd.Series) -> html.Div:
    found = data.flags(view.src, view.period)
    if found.empty:
        return html.P(t("no_flags", view.lang), className="hint", id=ids.REPORTING_FLAGS)
    total = len(found)
    # A province or the country can raise tens of thousands of flags: a page at a time.
    shown, nav = paged(view, found, PAGE_ROWS, ids.REPORTING_FLAGS_PAGER, "flags_page")
    body = []
    for _, r in shown.iterrows():
        unit = FIELD_UNITS.get(r["field"], "count")
        body.append([county_name(r["county_code"], names.get(r["county_code"]), view.lang), r["community_name"],
                     flag_text(r, view.lang), t(r["field"], view.lang), fmt_number(r["value"], unit),
                     fmt_number(r["previous"], unit), f"{r['file_name']} · {r['sheet']} · {r['source_row']}"])
    cols = [(t("county", view.lang), "text"), (t("community", view.lang), "text"), (t("flag", view.lang), "text"),
            (t("field", view.lang), "text"), (t("value", view.lang), "num"), (t("previous", view.lang), "num"),
            (t("lineage", view.lang), "text")]
    return html.Div([html.Div(t("rows", view.lang, n=total), className="row-count"),
                     nav,
                     table(cols, body)], id=ids.REPORTING_FLAGS)


@safe_layout(PATH)
def layout(**query):
    view = make_view(PATH, query, "page", "warnings_page", "flags_page")
    title = t("reporting_title", view.lang)
    names = data.counties(view.src).set_index("code")["name"]
    if view.period is None:
        return shell(view, title, card("", matrix(view, names)), empty_state(view.lang))
    return shell(view, title,
                 card("", matrix(view, names)),
                 card(t("warnings", view.lang) + " · " + period_label(view.period, view.lang), warnings(view, names)),
                 card(t("quality", view.lang, period=period_label(view.period, view.lang)), flags(view, names)))
