"""上传报表 Upload: drop returns, see the dry run (county, period, problems, preview, changes), submit; the template.

Analysts and admins only: the navigation hides it from viewers, the layout refuses them, the server's guard
refuses their requests to these callbacks (declared in auth.CALLBACK_ROLES), and the submission checks the county
again.
"""
from __future__ import annotations

import io
import os
from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, dcc, html
from flask import has_request_context

from etl.store.db import registry_from_db
from etl.periods import is_period, parse_period
from etl.files.template import write_template

from dashboard import auth, data, ids
from dashboard.jobs import in_forked_job
from dashboard.components import card, make_view, refused, safe_layout, shell
from dashboard.i18n import county_name, t
from dashboard.upload_view import (check_files, limits, my_returns, render_submitted,
                                   render_too_big, returns_title, submit_progress)
from dashboard.uploads import submit_file

PATH = "/upload"
dash.register_page(__name__, path=PATH, name="上传报表", name_en="Upload", order=6, title=data.page_title("上传报表"),
                   roles=auth.UPLOADERS)

# How often the browser asks whether a check or a submission has finished (Dash's default, 1 s, adds half a
# second to every check on average: the answer waits for the next poll).
POLL_MS = 250


def template_controls(view, who) -> html.Div:
    counties = data.counties(view.src)
    options = [{"label": county_name(c, n, view.lang), "value": c} for c, n in zip(counties["code"], counties["name"])
               if who.is_admin or c == who.county_code]
    value = who.county_code if who.county_code in {o["value"] for o in options} else (options[0]["value"] if options else None)
    return html.Div([
        html.Div([html.Label(t("county", view.lang), className="control-label"),
                  dcc.Dropdown(id=ids.UPLOAD_TEMPLATE_COUNTY, options=options, value=value, clearable=False,
                               disabled=not who.is_admin, className="control-select")], className="control"),
        html.Div([html.Label(t("period", view.lang), className="control-label"),
                  dcc.Input(id=ids.UPLOAD_TEMPLATE_PERIOD, value=str(date.today().year), type="text", maxLength=8,
                            className="control-input")], className="control"),
        html.Div(html.Button(t("template_download", view.lang), id=ids.UPLOAD_TEMPLATE_BUTTON,
                             className="btn btn-outline-primary"), className="control"),
        dcc.Download(id=ids.UPLOAD_TEMPLATE_DOWNLOAD),
    ], className="control-bar")


def drop_zone(view) -> html.Div:
    mb, n = limits()
    # dcc.Upload drops a file over max_size without a word; assets/upload_limit.js reads the limit and the store from
    # the data- attributes and puts such files in the store, whose callback names them.
    return html.Div([
        html.Div(dcc.Upload(id=ids.UPLOAD_FILES, multiple=True, accept=".xlsx", max_size=mb * 2**20,
                            children=html.Div([html.Div("⇪", className="drop-icon"), t("upload_drop", view.lang)]),
                            className="drop-zone"),
                 **{"data-max-bytes": mb * 2**20, "data-too-big-store": ids.UPLOAD_TOO_BIG}),
        dcc.Store(id=ids.UPLOAD_TOO_BIG),
        html.Div(id=ids.UPLOAD_TOO_BIG_MESSAGE, className="mt-2"),
        html.P(t("upload_limit", view.lang, mb=mb, n=n), className="hint mt-2", id=ids.UPLOAD_LIMIT),
        html.P(t("upload_steps", view.lang), className="hint"),
        dbc.Progress(id=ids.UPLOAD_PROGRESS, value=0, striped=True, animated=True, style={"display": "none"},
                     className="mb-3"),
        html.Div(id=ids.UPLOAD_RESULTS),
    ])


@safe_layout(PATH)
def layout(**query):
    view = make_view(PATH, query)
    title = t("upload_title", view.lang)
    who = auth.user()
    if who is None or not who.may(auth.UPLOADERS):
        return refused(view, title)
    return shell(view, title,
                 card(t("template", view.lang), template_controls(view, who)),
                 card("", drop_zone(view)),
                 card(returns_title(who, view.lang),
                      html.Div(my_returns(view.src, who, view.lang), id=ids.UPLOAD_MY_RETURNS)),
                 dcc.Store(id=ids.UPLOAD_LANG, data=view.lang))


def template_file(engine, who, county: str | None, period: str | None):
    """The blank return of the county (an analyst's own only) and period, as a download."""
    if who is None or not who.may(auth.UPLOADERS) or not county:
        raise dash.exceptions.PreventUpdate
    county = county if who.is_admin else who.county_code
    period = parse_period(period) if period else None
    if not period or not is_period(period):
        raise dash.exceptions.PreventUpdate
    registry = registry_from_db(engine)
    buffer = io.BytesIO()
    write_template(buffer, county, period, registry)
    return dcc.send_bytes(buffer.getvalue(), f"报表模板_{registry.counties.get(county, county)}_{period}.xlsx")


def register_callbacks(app: dash.Dash) -> None:
    """Bound to this app. The checks and the submission run as background jobs (dashboard/jobs.py: a forked
    process or a Celery worker): the user comes from the job's session cookie."""
    server = app.server
    app_pid = os.getpid()

    def job_context():
        engine = server.config["SHEQU_ENGINE"]
        if os.getpid() == app_pid and has_request_context():     # in the request itself (no job manager between)
            return engine, auth.user()
        if os.getpid() != app_pid:               # a diskcache job, forked within the request: fresh connections
            in_forked_job(engine)
        # A job (forked, or in a thread of a Celery worker) has no request: the user from its session cookie.
        return engine, auth.user_from_cookies(server, dash.ctx.cookies)

    @app.callback(Output(ids.UPLOAD_TEMPLATE_DOWNLOAD, "data"), Input(ids.UPLOAD_TEMPLATE_BUTTON, "n_clicks"),
                  State(ids.UPLOAD_TEMPLATE_COUNTY, "value"), State(ids.UPLOAD_TEMPLATE_PERIOD, "value"),
                  prevent_initial_call=True)
    def download_template(_clicks, county, period):
        return template_file(server.config["SHEQU_ENGINE"], auth.user(), county, period)

    @app.callback(Output(ids.UPLOAD_RESULTS, "children"), Input(ids.UPLOAD_FILES, "contents"),
                  State(ids.UPLOAD_FILES, "filename"), State(ids.UPLOAD_LANG, "data"), background=True,
                  prevent_initial_call=True, interval=POLL_MS,
                  progress=[Output(ids.UPLOAD_PROGRESS, "value"), Output(ids.UPLOAD_PROGRESS, "label")],
                  running=[(Output(ids.UPLOAD_FILES, "disabled"), True, False),
                           (Output(ids.UPLOAD_PROGRESS, "style"), {"display": "flex"}, {"display": "none"})])
    def check(set_progress, contents, names, lang):
        if not contents:
            raise dash.exceptions.PreventUpdate
        engine, who = job_context()
        return check_files(engine, who, contents, names, lang or "zh",
                           set_progress, getattr(dash.ctx, "remote", None))

    @app.callback(Output(ids.UPLOAD_TOO_BIG_MESSAGE, "children"), Input(ids.UPLOAD_TOO_BIG, "data"),
                  State(ids.UPLOAD_LANG, "data"), prevent_initial_call=True)
    def too_big(held_back, lang):
        return render_too_big((held_back or {}).get("files"), lang or "zh")

    @app.callback(Output({"type": ids.UPLOAD_OUTCOME, "token": MATCH}, "children"),
                  Output({"type": ids.UPLOAD_SUBMIT_PROGRESS, "token": MATCH}, "children"),
                  Input({"type": ids.UPLOAD_SUBMIT, "token": MATCH}, "n_clicks"), State(ids.UPLOAD_LANG, "data"),
                  background=True, prevent_initial_call=True, interval=POLL_MS,
                  running=[(Output({"type": ids.UPLOAD_SUBMIT, "token": MATCH}, "disabled"), True, True)])
    def submit(clicks, lang):
        if not clicks:
            raise dash.exceptions.PreventUpdate
        engine, who = job_context()
        token, lang = dash.ctx.triggered_id["token"], lang or "zh"
        # A background callback takes no pattern-matched progress outputs: each stage goes to this card's bar.
        bar = {"type": ids.UPLOAD_SUBMIT_PROGRESS, "token": token}
        done = submit_file(engine, who, token, getattr(dash.ctx, "remote", None),
                           progress=lambda stage: dash.set_props(bar, {"children": submit_progress(stage, lang)}))
        return render_submitted(done, lang), submit_progress("done", lang)

    @app.callback(Output(ids.UPLOAD_MY_RETURNS, "children"),
                  Input({"type": ids.UPLOAD_OUTCOME, "token": ALL}, "children"), State(ids.UPLOAD_LANG, "data"),
                  prevent_initial_call=True)
    def refresh_returns(_outcomes, lang):
        """The list of returns again once a submission has its outcome (a new return, or one it superseded)."""
        who = auth.user()
        if who is None or not who.may(auth.UPLOADERS):
            raise dash.exceptions.PreventUpdate
        return my_returns(data.source(), who, lang or "zh")
