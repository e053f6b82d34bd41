"""社区 Communities: every community in a searchable, filterable grid; a click shows its history and lineage."""
from __future__ import annotations

import json
import operator
from functools import reduce

import dash
import dash_ag_grid as dag
import numpy as np
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboard import auth, data, ids
from dashboard.components import View, card, empty_state, make_view, parse_basis, safe_layout, shell, table
from dashboard.i18n import county_name, dropdown_labels, fmt_value, grid_locale, period_label, t
from dashboard.memo import memo
from dashboard.urls import parse_search, search_with

PATH = "/communities"
dash.register_page(__name__, path=PATH, name="社区", name_en="Communities", order=3, title=data.page_title("社区"))

KINDS = {"urban": "城市社区", "township": "乡镇社区"}
BLOCK_ROWS = 100      # rows a grid request fetches: the browser holds what is in view, never a nation's table
MAX_BLOCK_ROWS = 500  # a larger request (not one the grid makes) is cut to this
# The grid's columns that filter (server-side) → the table's column; the others are covered by the page's filters.
TEXT_FILTERS = {"community_name": "community_name", "township": "township_name", "leaders": "leaders",
                "community_code": "community_code"}
NUMBER_FILTERS = {"service_area_m2": "service_area_m2", "service_items": "service_items"}
COMPARE = {"equals": operator.eq, "notEqual": operator.ne, "lessThan": operator.lt, "lessThanOrEqual": operator.le,
           "greaterThan": operator.gt, "greaterThanOrEqual": operator.ge}


def filtered(rows: pd.DataFrame, county: str | None, kind: str | None, q: str | None) -> pd.DataFrame:
    """The rows of the county and kind whose community or township name contains the search text."""
    return rows[kept(rows, county, kind, q)].reset_index(drop=True)


def kept(rows: pd.DataFrame, county: str | None, kind: str | None, q: str | None) -> pd.Series:
    """Which rows `filtered` keeps (a mask, so their positions in the table stay known)."""
    mask = pd.Series(True, index=rows.index)
    if county:
        mask &= rows["county_code"] == county
    if kind in KINDS:
        mask &= rows["community_kind"] == KINDS[kind]
    if q:
        mask &= rows["community_name"].str.contains(q, regex=False, na=False) | \
                rows["township_name"].str.contains(q, regex=False, na=False) | rows["community_code"].str.startswith(q)
    return mask


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
    """The grid's columns; only those the server can filter have a column filter (no filter that does nothing)."""
    num = {"type": "rightAligned", "filter": "agNumberColumnFilter"}
    text = {"filter": "agTextColumnFilter"}
    cols = [{"field": "community_name", "headerName": t("community", lang), "pinned": "left", "minWidth": 150, **text},
            {"field": "county", "headerName": t("county", lang)},
            {"field": "township", "headerName": t("township_col", lang), **text},
            {"field": "kind", "headerName": t("kind", lang), "width": 110},
            {"field": "service_area_m2", "headerName": t("service_area_m2", lang), **num,
             "valueFormatter": {"function": "params.value == null ? '' : d3.format(',.0f')(params.value)"}},
            {"field": "service_items", "headerName": t("service_items", lang), **num}]
    cols += [{"field": k, "headerName": t(k, lang), "width": 120} for k, _ in data.STANDARDS]
    cols += [{"field": "weak", "headerName": t("weak", lang), "width": 100},
             {"field": "leaders", "headerName": t("leaders_linked", lang), **text},
             {"field": "community_code", "headerName": "代码" if lang == "zh" else "Code", "width": 140, **text}]
    return cols


def _condition(values: pd.Series, number: bool, cond: dict) -> pd.Series:
    """One AG Grid filter condition as a mask (text: case-blind, as the grid's own; inRange excludes its ends)."""
    kind = cond.get("type")
    try:
        if number:
            values = pd.to_numeric(values, errors="coerce")
            if kind in ("blank", "notBlank"):
                return values.isna() if kind == "blank" else values.notna()
            if kind == "inRange":
                return (values > float(cond["filter"])) & (values < float(cond["filterTo"]))
            return COMPARE[kind](values, float(cond["filter"]))
        values = values.fillna("").astype(str).str.lower()
        want = str(cond.get("filter") or "").lower()
        masks = {"contains": lambda: values.str.contains(want, regex=False),
                 "notContains": lambda: ~values.str.contains(want, regex=False),
                 "equals": lambda: values == want, "notEqual": lambda: values != want,
                 "startsWith": lambda: values.str.startswith(want), "endsWith": lambda: values.str.endswith(want),
                 "blank": lambda: values == "", "notBlank": lambda: values != ""}
        return masks[kind]()
    except (KeyError, TypeError, ValueError):      # an incomplete or unknown condition filters nothing out
        return pd.Series(True, index=values.index)


def column_filtered(rows: pd.DataFrame, filter_model: dict | None) -> pd.DataFrame:
    """The rows passing the grid's column filters (its filterModel: one condition, or several joined AND/OR)."""
    for field, model in (filter_model or {}).items():
        column = TEXT_FILTERS.get(field) or NUMBER_FILTERS.get(field)
        if column is None or not isinstance(model, dict):
            continue
        masks = [_condition(rows[column], field in NUMBER_FILTERS, c)
                 for c in model.get("conditions") or [model] if isinstance(c, dict)]
        if masks:
            rows = rows[reduce(operator.or_ if model.get("operator") == "OR" else operator.and_, masks)]
    return rows


def _sort_key(rows: pd.DataFrame, field: str, lang: str) -> pd.Series:
    """What a column sorts by: the county's name as shown, the kind's word, else the stored value (standards
    and weak by their yes/no, unknown last)."""
    if field == "county":
        names = {c: county_name(c, n, lang) for c, n in set(zip(rows["county_code"], rows["county_name"]))}
        return rows["county_code"].map(names)
    if field == "kind":
        return rows["community_kind"].map({KINDS[k]: t(k, lang) for k in KINDS})
    return rows[{"township": "township_name"}.get(field, field)]


def sorted_rows(rows: pd.DataFrame, sort_model: list | None, lang: str) -> pd.DataFrame:
    """The rows in the grid's sort order (its sortModel: [{colId, sort}], first the main key); ties and no sort
    keep the table's order (county, code)."""
    known = {c["field"] for c in column_defs(lang)}
    keys = [(s["colId"], s.get("sort") != "desc") for s in sort_model or []
            if isinstance(s, dict) and s.get("colId") in known]
    if not keys or rows.empty:
        return rows
    frame = pd.DataFrame({i: _sort_key(rows, f, lang).reset_index(drop=True) for i, (f, _) in enumerate(keys)})
    order = frame.sort_values(list(frame.columns), ascending=[a for _, a in keys], kind="stable",
                              na_position="last").index
    return rows.iloc[order]


def row_order(view: View, sort_model: list | None = None, filter_model: dict | None = None) -> np.ndarray:
    """Positions in the view's community table (its county's) of the rows it shows — its kind and search, the
    grid's column filters — in the grid's sort order."""
    p = view.params
    if view.period is None:
        return np.arange(0)
    return _row_order(view.src, view.period, p.get("county"), p.get("kind"), p.get("q"), view.lang,
                      json.dumps(sort_model or [], sort_keys=True), json.dumps(filter_model or {}, sort_keys=True))


def rows_at(view: View, positions: np.ndarray) -> pd.DataFrame:
    """The view's table rows at these positions (from row_order), in that order."""
    return data.community_table(view.src, view.period, view.params.get("county")).take(positions)


# Scrolling asks for block after block of one order: each is kept as positions (1 MB for a nation's 120,000
# rows), not as a sorted copy of the table (~140 MB).
@memo(16)
def _row_order(src: data.Source, period: str, county, kind, q, lang: str, sort: str, filters: str) -> np.ndarray:
    rows = data.community_table(src, period, county)          # indexed 0…n-1: the index is the position
    rows = column_filtered(rows[kept(rows, county, kind, q)], json.loads(filters))
    return sorted_rows(rows, json.loads(sort), lang).index.to_numpy()


def history_panel(src: data.Source, code: str | None, lang: str):
    """The community's rows over the periods and where each came from (submission, file, sheet, row)."""
    if not code:
        return html.P(t("click_hint", lang), className="hint")
    history = data.community_history(src, code)
    family = data.community_family(src, code)
    if history.empty and not family.names:
        return html.P(t("unknown_community", lang), className="hint")
    name = family.names[-1][0] if family.names else history["community_name"].iloc[-1]
    return html.Div([html.H3(t("history_title", lang, community=name), className="h6 section-title"),
                     *family_lines(family, lang),
                     html.Div(t("lineage", lang), className="hint"), history_table(history, lang),
                     *[predecessor(src, code, old_name, effective, lang) for code, old_name, effective
                       in family.merged_from]],
                    className="history-box", **{"data-community": code})


def _span(start: str, until: str | None, lang: str) -> str:
    """The periods a name held: 2013年起 / 2016年至今 / until 2015 …, said from the change periods."""
    from etl.periods import format_effective
    if start and until:
        return t("held_between", lang, start=format_effective(start, lang), until=format_effective(until, lang))
    if start:
        return t("held_since", lang, start=format_effective(start, lang))
    return t("held_until", lang, until=format_effective(until, lang)) if until else ""


def family_lines(family, lang: str) -> list:
    """Earlier names with their periods, what the community came from and what it went into, in words."""
    from etl.periods import format_effective
    sep = "、" if lang == "zh" else "; "
    lines = []
    if len(family.names) > 1:
        lines.append(t("names_over_time", lang, names=sep.join(f"{n}（{_span(a, b, lang)}）" if lang == "zh" else
                                                               f"{n} ({_span(a, b, lang)})"
                                                               for n, a, b in family.names)))
    for before, after, effective in family.moves:
        lines.append(t("moved", lang, before=before, after=after, when=format_effective(effective, lang)))
    for code, name, effective in family.split_from:
        lines.append(t("split_from", lang, name=name, when=format_effective(effective, lang)))
    if family.merged_from:
        names = sep.join(name for _, name, _ in family.merged_from)
        lines.append(t("merged_from", lang, names=names, when=format_effective(family.merged_from[0][2], lang)))
    went: dict[tuple[str, str], list[str]] = {}
    for change, _code, name, effective in family.went_into:
        went.setdefault((change, effective), []).append(name)
    for (change, effective), names in went.items():
        lines.append(t(f"went_into_{change}", lang, name=sep.join(names), when=format_effective(effective, lang)))
    return [html.P(line, className="family-line") for line in lines]


def predecessor(src: data.Source, code: str, name: str, effective: str, lang: str):
    """A community merged into this one, with its own history up to the merge."""
    return html.Div([html.H4(t("predecessor_title", lang, community=name), className="h6 mt-3"),
                     history_table(data.community_history(src, code), lang)],
                    className="predecessor", **{"data-community": code})


def history_table(history: pd.DataFrame, lang: str):
    """A community's rows, one a period: its name then, its figures and where each came from."""
    cols = [(t("period", lang), "text"), (t("name_then", lang), "text"), (t("service_area_m2", lang), "num"), (t("service_items", lang), "num"),
            (t("facilities", lang), "num"), (t("grid_std", lang), "text"), (t("weak", lang), "text"),
            (t("staff", lang), "num"), (t("submission", lang), "num"), (t("file", lang), "text"),
            (t("sheet", lang), "text"), (t("row", lang), "num"), (t("status", lang), "text")]
    rows = [[period_label(r["period"], lang), r["community_name"], fmt_value(r["service_area_m2"], "m2", lang),
             fmt_value(r["service_items"], "items", lang), fmt_value(r["facilities"], "count", lang),
             t("yes" if r["grid_managed"] else "no", lang), t("yes" if r["weak"] else "no", lang),
             fmt_value(r["staff"], "people", lang), f"#{r['submission_id']}", r["file_name"], r["sheet"],
             str(r["source_row"]), t(f"status_{r['status']}", lang)] for _, r in history.iterrows()]
    return table(cols, rows, className="history-table")


def filters(view: View):
    counties = data.counties(view.src)
    county_options = [{"label": county_name(c, n, view.lang), "value": c}
                      for c, n in zip(counties["code"], counties["name"])]
    kind_options = [{"label": t(k, view.lang), "value": k} for k in KINDS]
    p = view.params
    return html.Div([
        html.Div([html.Label(t("county", view.lang), className="control-label"),
                  dcc.Dropdown(id=ids.qparam("county"), options=county_options, value=p.get("county"),
                               placeholder=t("all_counties", view.lang), labels=dropdown_labels(view.lang),
                               className="control-select")], className="control"),
        html.Div([html.Label(t("kind", view.lang), className="control-label"),
                  dcc.Dropdown(id=ids.qparam("kind"), options=kind_options, value=p.get("kind"),
                               placeholder=t("all_kinds", view.lang), labels=dropdown_labels(view.lang),
                               className="control-select")], className="control"),
        html.Div([html.Label(t("search", view.lang), className="control-label"),
                  dcc.Input(id=ids.qparam("q"), value=p.get("q") or "", type="search", debounce=True,
                            className="form-control search-input", placeholder=t("search", view.lang),
                            style={"minWidth": "19rem"})], className="control"),
    ], className="control-bar")


@safe_layout(PATH)
def layout(**query):
    view = make_view(PATH, query, "county", "kind", "q", "community")
    title = t("community", view.lang) + " · " + period_label(view.period, view.lang)
    if view.period is None:
        return shell(view, title, empty_state(view.lang))
    p = view.params
    # Only the count here: the rows come block by block from grid_block (a nation's table would be ~30 MB).
    count = len(row_order(view))        # and the first block's request finds the order made
    grid = dag.AgGrid(
        id=ids.COMMUNITY_GRID, rowModelType="infinite", columnDefs=column_defs(view.lang),
        # Headers wrap onto more lines rather than being cut ("服务用房面积（平方…").
        defaultColDef={"sortable": True, "filter": False, "resizable": True, "floatingFilter": False,
                       "wrapHeaderText": True, "autoHeaderHeight": True},
        getRowId="params.data.community_code", dashGridOptions={
            "animateRows": False, "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                   "enableClickSelection": True},
            "localeText": grid_locale(view.lang),
            # One request at a time: dash-ag-grid answers only the latest, so a second in flight would stay empty.
            "cacheBlockSize": BLOCK_ROWS, "maxConcurrentDatasourceRequests": 1},
        style={"height": "460px"})
    return shell(view, title,
                 card("", html.Div([html.Span(t("rows", view.lang, n=f"{count:,}"), id=ids.COMMUNITY_COUNT),
                                    html.Button("CSV", id=ids.COMMUNITIES_EXPORT,
                                                className="btn btn-outline-secondary btn-sm ms-3")],
                                   className="row-count d-flex align-items-center"),
                      grid),      # the hint to click a row is in the history card below, said once
                 card("", html.Div(history_panel(view.src, p.get("community"), view.lang), id=ids.COMMUNITY_HISTORY)),
                 dcc.Store(id=ids.COMMUNITIES_LANG, data=view.lang), dcc.Download(id=ids.COMMUNITIES_DOWNLOAD),
                 controls=filters(view))


def show_history(cell, lang, search):
    """A click on a row shows that community's history and records it in the address (without a reload)."""
    code = (cell or {}).get("rowId")
    if not code:
        return dash.no_update, dash.no_update
    src = data.source(parse_basis(parse_search(search).get(ids.BASIS)))
    return history_panel(src, code, lang), search_with(search, "community", code)


def grid_block(request, search):
    """One block of rows for the grid's request ({startRow, endRow, sortModel, filterModel}) in the address's
    view, with the number of rows matching (the grid's scroll length and the count above it)."""
    if auth.user() is None or not isinstance(request, dict):
        raise dash.exceptions.PreventUpdate
    view = make_view(PATH, parse_search(search), "county", "kind", "q")
    order = row_order(view, request.get("sortModel"), request.get("filterModel"))
    try:
        start = max(0, int(request.get("startRow") or 0))
        end = min(int(request.get("endRow") or start + BLOCK_ROWS), start + MAX_BLOCK_ROWS)
    except (TypeError, ValueError):
        start, end = 0, BLOCK_ROWS
    positions = order[start:end]
    block = grid_rows(rows_at(view, positions), view.lang) if len(positions) else []
    return {"rowData": block, "rowCount": len(order)}, t("rows", view.lang, n=f"{len(order):,}")


def rows_csv(rows: list[dict] | None, lang: str) -> bytes:
    """Grid rows as CSV for Excel: UTF-8 with BOM, formulas made inert."""
    import csv
    import io
    from etl.files.export import neutralise
    cols = column_defs(lang)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([c["headerName"] for c in cols])
    for row in rows or []:
        writer.writerow([neutralise("" if row.get(c["field"]) is None else row.get(c["field"])) for c in cols])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def export_csv(_clicks, request, search):
    """Download every row the grid shows (the address's filters, its column filters and sort), not only the
    blocks it has loaded; audited."""
    import flask
    from etl.store import audit
    who = auth.user()
    if who is None:
        raise dash.exceptions.PreventUpdate
    view = make_view(PATH, parse_search(search), "county", "kind", "q")
    request = request if isinstance(request, dict) else {}
    order = row_order(view, request.get("sortModel"), request.get("filterModel"))
    rows = grid_rows(rows_at(view, order), view.lang) if len(order) else []
    audit.record(flask.current_app.config["SHEQU_ENGINE"], "export", who.username, flask.request.remote_addr,
                 what="communities", rows=len(rows), filters=search or "",
                 column_filters=request.get("filterModel") or {}, sort=request.get("sortModel") or [])
    return dcc.send_bytes(rows_csv(rows, view.lang), "communities.csv")


def register_callbacks(app: dash.Dash) -> None:
    """Called by create_app: callbacks go on the app itself, so several apps in one process stay apart."""
    app.callback(Output(ids.COMMUNITY_GRID, "getRowsResponse"), Output(ids.COMMUNITY_COUNT, "children"),
                 Input(ids.COMMUNITY_GRID, "getRowsRequest"), State(ids.URL, "search"),
                 prevent_initial_call=True)(grid_block)
    app.callback(Output(ids.COMMUNITY_HISTORY, "children"), Output(ids.URL_QUIET, "search"),
                 Input(ids.COMMUNITY_GRID, "cellClicked"), State(ids.COMMUNITIES_LANG, "data"), State(ids.URL, "search"),
                 prevent_initial_call=True)(show_history)
    app.callback(Output(ids.COMMUNITIES_DOWNLOAD, "data"), Input(ids.COMMUNITIES_EXPORT, "n_clicks"),
                 State(ids.COMMUNITY_GRID, "getRowsRequest"),
                 State(ids.URL, "search"), prevent_initial_call=True)(export_csv)
