"""社区 Communities: every community in a searchable, filterable grid; a click shows its history and lineage."""
from __future__ import annotations

import dash
import dash_ag_grid as dag
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboard import data, ids
from dashboard.components import View, card, empty_state, make_view, parse_basis, safe_layout, shell, table
from dashboard.i18n import county_name, fmt_value, period_label, t
from dashboard.urls import parse_search, search_with

PATH = "/communities"
dash.register_page(__name__, path=PATH, name="社区", name_en="Communities", order=3, title="社区 · 玉林市社区")

KINDS = {"urban": "城市社区", "township": "乡镇社区"}
LANG_STORE = "communities-lang"
EXPORT = "communities-export"
DOWNLOAD = "communities-download"


def filtered(rows: pd.DataFrame, county: str | None, kind: str | None, q: str | None) -> pd.DataFrame:
    """The rows of the county and kind whose community or township name contains the search text."""
    if county:
        rows = rows[rows["county_code"] == county]
    if kind in KINDS:
        rows = rows[rows["community_kind"] == KINDS[kind]]
    if q:
        hit = rows["community_name"].str.contains(q, regex=False, na=False) | \
              rows["township_name"].str.contains(q, regex=False, na=False) | rows["community_code"].str.startswith(q)
        rows = rows[hit]
    return rows.reset_index(drop=True)


def _mark(value, lang: str) -> str:
    return "—" if pd.isna(value) else t("meets" if value else "misses", lang)


def grid_rows(rows: pd.DataFrame, lang: str) -> list[dict]:
    """Records for the grid: names in the user's language, standards as ✓/✗ words (never a bare colour)."""
    out = []
    for r in rows.to_dict("records"):
        out.append({
            "community_code": r["community_code"], "community_name": r["community_name"],
            "county": county_name(r["county_code"], r["county_name"], lang), "township": r["township_name"],
            "kind": t("urban" if r["community_kind"] == KINDS["urban"] else "township", lang),
            "service_area_m2": None if pd.isna(r["service_area_m2"]) else float(r["service_area_m2"]),
            "service_items": None if pd.isna(r["service_items"]) else int(r["service_items"]),
            **{k: _mark(r[k], lang) for k, _ in data.STANDARDS},
            "weak": t("yes" if r["weak"] else "no", lang), "leaders": r["leaders"],
        })
    return out


def column_defs(lang: str) -> list[dict]:
    num = {"type": "rightAligned", "filter": "agNumberColumnFilter"}
    cols = [{"field": "community_name", "headerName": t("community", lang), "pinned": "left", "minWidth": 150},
            {"field": "county", "headerName": t("county", lang)},
            {"field": "township", "headerName": t("township_col", lang)},
            {"field": "kind", "headerName": t("kind", lang), "width": 110},
            {"field": "service_area_m2", "headerName": t("service_area_m2", lang), **num,
             "valueFormatter": {"function": "d3.format(',.0f')(params.value)"}},
            {"field": "service_items", "headerName": t("service_items", lang), **num}]
    cols += [{"field": k, "headerName": t(k, lang), "width": 120} for k, _ in data.STANDARDS]
    cols += [{"field": "weak", "headerName": t("weak", lang), "width": 100},
             {"field": "leaders", "headerName": t("leaders_linked", lang)},
             {"field": "community_code", "headerName": "代码" if lang == "zh" else "Code", "width": 140}]
    return cols


def history_panel(src: data.Source, code: str | None, lang: str):
    """The community's rows over the periods and where each came from (submission, file, sheet, row)."""
    if not code:
        return html.P(t("click_hint", lang), className="hint")
    history = data.community_history(src, code)
    if history.empty:
        return html.P(t("unknown_community", lang), className="hint")
    name = history["community_name"].iloc[-1]
    cols = [(t("period", lang), "text"), (t("service_area_m2", lang), "num"), (t("service_items", lang), "num"),
            (t("facilities", lang), "num"), (t("grid_std", lang), "text"), (t("weak", lang), "text"),
            (t("staff", lang), "num"), (t("submission", lang), "num"), (t("file", lang), "text"),
            (t("sheet", lang), "text"), (t("row", lang), "num"), (t("status", lang), "text")]
    rows = [[period_label(r["period"], lang), fmt_value(r["service_area_m2"], "m2", lang),
             fmt_value(r["service_items"], "items", lang), fmt_value(r["facilities"], "count", lang),
             t("yes" if r["grid_managed"] else "no", lang), t("yes" if r["weak"] else "no", lang),
             fmt_value(r["staff"], "people", lang), f"#{r['submission_id']}", r["file_name"], r["sheet"],
             str(r["source_row"]), t(f"status_{r['status']}", lang)] for _, r in history.iterrows()]
    return html.Div([html.H3(t("history_title", lang, community=name), className="h6 section-title"),
                     html.Div(t("lineage", lang), className="hint"), table(cols, rows, className="history-table")],
                    className="history-box", **{"data-community": code})


def filters(view: View):
    counties = data.counties(view.src)
    county_options = [{"label": county_name(c, n, view.lang), "value": c}
                      for c, n in zip(counties["code"], counties["name"])]
    kind_options = [{"label": t(k, view.lang), "value": k} for k in KINDS]
    p = view.params
    return html.Div([
        html.Div([html.Label(t("county", view.lang), className="control-label"),
                  dcc.Dropdown(id=ids.qparam("county"), options=county_options, value=p.get("county"),
                               placeholder=t("all_counties", view.lang), className="control-select")], className="control"),
        html.Div([html.Label(t("kind", view.lang), className="control-label"),
                  dcc.Dropdown(id=ids.qparam("kind"), options=kind_options, value=p.get("kind"),
                               placeholder=t("all_kinds", view.lang), className="control-select")], className="control"),
        html.Div([html.Label(t("search", view.lang), className="control-label"),
                  dcc.Input(id=ids.qparam("q"), value=p.get("q") or "", type="search", debounce=True,
                            className="form-control search-input", placeholder=t("search", view.lang),
                            style={"minWidth": "16rem"})], className="control"),
    ], className="control-bar")


@safe_layout(PATH)
def layout(**query):
    view = make_view(PATH, query, "county", "kind", "q", "community")
    title = t("community", view.lang) + " · " + period_label(view.period, view.lang)
    if view.period is None:
        return shell(view, title, empty_state(view.lang))
    p = view.params
    rows = filtered(data.community_table(view.src, view.period), p.get("county"), p.get("kind"), p.get("q"))
    grid = dag.AgGrid(
        id=ids.COMMUNITY_GRID, rowData=grid_rows(rows, view.lang), columnDefs=column_defs(view.lang),
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "floatingFilter": False},
        getRowId="params.data.community_code", dashGridOptions={"animateRows": False, "rowSelection": {
            "mode": "singleRow", "checkboxes": False, "enableClickSelection": True}},
        csvExportParams={"fileName": f"communities_{view.period}.csv"}, style={"height": "460px"})
    return shell(view, title,
                 card("", html.Div([html.Span(t("rows", view.lang, n=len(rows)), id=ids.COMMUNITY_COUNT),
                                    html.Button("CSV", id=EXPORT, className="btn btn-outline-secondary btn-sm ms-3")],
                                   className="row-count d-flex align-items-center"),
                      grid, html.P(t("click_hint", view.lang), className="hint mt-2")),
                 card("", html.Div(history_panel(view.src, p.get("community"), view.lang), id=ids.COMMUNITY_HISTORY)),
                 dcc.Store(id=LANG_STORE, data=view.lang), dcc.Download(id=DOWNLOAD), controls=filters(view))


def show_history(cell, lang, search):
    """A click on a row shows that community's history and records it in the address (without a reload)."""
    code = (cell or {}).get("rowId")
    if not code:
        return dash.no_update, dash.no_update
    src = data.source(parse_basis(parse_search(search).get(ids.BASIS)))
    return history_panel(src, code, lang), search_with(search, "community", code)


def rows_csv(rows: list[dict] | None, lang: str) -> bytes:
    """The grid's rows as shown (after its filters and sort) as CSV for Excel: UTF-8 with BOM, formulas made inert."""
    import csv
    import io
    from etl.export import neutralise
    cols = column_defs(lang)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([c["headerName"] for c in cols])
    for row in rows or []:
        writer.writerow([neutralise("" if row.get(c["field"]) is None else row.get(c["field"])) for c in cols])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def export_csv(_clicks, rows, lang, search):
    """Download the rows the grid shows now; audited."""
    import flask
    from etl import audit
    from dashboard import auth
    who = auth.user()
    if who is None:
        raise dash.exceptions.PreventUpdate
    audit.record(flask.current_app.config["SHEQU_ENGINE"], "export", who.username, flask.request.remote_addr,
                 what="communities", rows=len(rows or []), filters=search or "")
    return dcc.send_bytes(rows_csv(rows, lang), "communities.csv")


def register_callbacks(app: dash.Dash) -> None:
    """Called by create_app: callbacks go on the app itself, so several apps in one process stay apart."""
    app.callback(Output(ids.COMMUNITY_HISTORY, "children"), Output(ids.URL_QUIET, "search"),
                 Input(ids.COMMUNITY_GRID, "cellClicked"), State(LANG_STORE, "data"), State(ids.URL, "search"),
                 prevent_initial_call=True)(show_history)
    app.callback(Output(DOWNLOAD, "data"), Input(EXPORT, "n_clicks"), State(ids.COMMUNITY_GRID, "virtualRowData"),
                 State(LANG_STORE, "data"), State(ids.URL, "search"), prevent_initial_call=True)(export_csv)
