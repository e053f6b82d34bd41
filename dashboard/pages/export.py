"""导出 Export: indicator tables for chosen periods, levels and indicators, as a workbook or CSV (every role)."""
from __future__ import annotations

import io

import dash
import flask
from dash import Input, Output, State, dcc, html

from etl.store import audit
from etl.config import indicators
from etl.files.export import LEVEL_SHEETS, file_name, write_csv, write_xlsx

from dashboard import auth, data, ids
from dashboard.components import card, make_view, safe_layout, shell
from dashboard.i18n import dropdown_labels, period_label, t

PATH = "/export"
dash.register_page(__name__, path=PATH, name="导出", name_en="Export", order=7, title=data.page_title("导出"))


def _field(label: str, control) -> html.Div:
    return html.Div([html.Label(label, className="control-label"), control], className="control")


@safe_layout(PATH)
def layout(**query):
    view = make_view(PATH, query)
    lang = view.lang
    periods = [{"label": period_label(p, lang), "value": p} for p in view.periods]
    levels = [{"label": t(f"level_{lv}", lang), "value": lv} for lv in LEVEL_SHEETS]
    inds = [{"label": i.name(lang), "value": i.id} for i in indicators()]
    form = html.Div([
        html.Div([
            _field(t("periods", lang), dcc.Checklist(id=ids.EXPORT_PERIODS, options=periods,
                                                     value=[view.period] if view.period else [], inline=True,
                                                     inputClassName="me-1", labelClassName="me-3")),
            _field(t("levels", lang), dcc.Checklist(id=ids.EXPORT_LEVELS, options=levels, value=["city", "county"],
                                                    inline=True, inputClassName="me-1", labelClassName="me-3")),
        ], className="control-bar"),
        _field(t("indicators", lang), dcc.Dropdown(id=ids.EXPORT_INDICATORS, options=inds, multi=True,
                                                   labels=dropdown_labels(lang), className="control-select wide")),
        html.Div([
            _field(t("format", lang), dcc.RadioItems(id=ids.EXPORT_FORMAT, value="xlsx", inline=True,
                                                     inputClassName="me-1", labelClassName="me-3", options=[
                                                         {"label": "Excel (.xlsx)", "value": "xlsx"},
                                                         {"label": "CSV", "value": "csv"}])),
            html.Div(html.Button(t("export_button", lang), id=ids.EXPORT_BUTTON, className="btn btn-primary"),
                     className="control"),
            html.Div(dcc.Link(t("briefing_link", lang), href=view.link("/briefing"),
                              className="btn btn-outline-secondary"), className="control"),
        ], className="control-bar"),
        html.P(t("export_hint", lang), className="hint"), html.Div(id=ids.EXPORT_MESSAGE),
        dcc.Download(id=ids.EXPORT_DOWNLOAD), dcc.Store(id=ids.EXPORT_BASIS, data=view.src.basis),
        dcc.Store(id=ids.EXPORT_LANG, data=lang)])
    return shell(view, t("export_title", lang), card("", form))


def export_file(engine, who, periods, levels, indicator_ids, fmt, basis, remote=None, lang="zh"):
    """The chosen indicator tables as a download (a dict for dcc.Download) in the page's language, its name too
    (玉林市_指标_2013_2015.xlsx, Yulin_indicators_2013_2015.xlsx); audited; None when there is nothing."""
    if who is None:
        raise dash.exceptions.PreventUpdate
    basis = basis if basis in ("approved", "current") else "approved"
    fmt = "csv" if fmt == "csv" else "xlsx"
    lang = "en" if lang == "en" else "zh"
    options = dict(periods=list(periods or []) or None, basis=basis, levels=list(levels or []) or None,
                   indicator_ids=list(indicator_ids or []) or None)
    buffer = io.BytesIO()
    n = (write_csv if fmt == "csv" else write_xlsx)(engine, buffer, **options, lang=lang)
    if not n:
        return None
    audit.record(engine, "export", who.username, remote, format=fmt, **options, lang=lang, values=n)
    return dcc.send_bytes(buffer.getvalue(), file_name(options["periods"], fmt, lang, data.request_city()))


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(Output(ids.EXPORT_DOWNLOAD, "data"), Output(ids.EXPORT_MESSAGE, "children"),
                  Input(ids.EXPORT_BUTTON, "n_clicks"), State(ids.EXPORT_PERIODS, "value"),
                  State(ids.EXPORT_LEVELS, "value"), State(ids.EXPORT_INDICATORS, "value"),
                  State(ids.EXPORT_FORMAT, "value"), State(ids.EXPORT_BASIS, "data"), State(ids.EXPORT_LANG, "data"),
                  prevent_initial_call=True)
    def export(_clicks, periods, levels, indicator_ids, fmt, basis, lang):
        sent = export_file(flask.current_app.config["SHEQU_ENGINE"], auth.user(), periods, levels, indicator_ids,
                           fmt, basis, flask.request.remote_addr, lang)
        if sent is None:
            return dash.no_update, html.P(t("nothing_to_export", lang or "zh"), className="hint")
        return sent, None
