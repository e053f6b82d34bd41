"""上传报表 Upload: drop returns, see the dry run (county, period, problems, preview, changes), submit; the template.

Analysts and admins only: the navigation hides it from viewers, the layout refuses them, the server's guard
refuses their requests to these callbacks (declared in auth.CALLBACK_ROLES), and the submission checks the county
again.
"""
from __future__ import annotations

import io
import logging
import os
from contextlib import nullcontext
from datetime import date
from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, dcc, html
from flask import Response, has_request_context, request

from etl.store.db import registry_from_db
from etl.periods import is_period, parse_period, period_sort_key
from etl.files.template import write_template

from dashboard import auth, check_queue, data, ids, security
from dashboard.jobs import check_slots, in_forked_job, job_lost
from dashboard.components import card, make_view, refused, safe_layout, shell
from dashboard.i18n import LANGS, county_name, t
from dashboard.upload_view import (PROBLEMS_PATH, accept_drop, check_files, dropped, limits, my_returns, queued,
                                   problems_csv, render_refused, render_submitted, render_too_big, returns_title,
                                   submit_progress)
from dashboard.upload_view import job_lost as job_lost_message
from dashboard.uploads import kept_problems, submit_file

log = logging.getLogger(__name__)

PATH = "/upload"
dash.register_page(__name__, path=PATH, name="上传报表", name_en="Upload", order=6, title=data.page_title("上传报表"),
                   roles=auth.UPLOADERS)

# How often the browser asks whether a check or a submission has finished (Dash's default, 1 s, adds half a
# second to every check on average: the answer waits for the next poll).
POLL_MS = 250


def collecting_period(src) -> str:
    """The period being collected: the latest with some counties' returns but not all; else the one after the
    latest with returns; else this year."""
    states = data.period_states(src)
    partial = [s.period for s in states if s.reported and not s.complete]
    if partial:
        return partial[-1]
    if states:
        year, quarter = period_sort_key(states[-1].period)
        return (f"{year + quarter // 4}Q{quarter % 4 + 1}" if quarter else str(year + 1))
    return str(date.today().year)


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
                  dcc.Input(id=ids.UPLOAD_TEMPLATE_PERIOD, value=collecting_period(data.source("current")), type="text", maxLength=8,
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
        dcc.Store(id=ids.UPLOAD_DROPPED),
        html.Div(id=ids.UPLOAD_TOO_BIG_MESSAGE, className="mt-2"),
        html.Div(id=ids.UPLOAD_REFUSED, className="mt-2"),
        html.P(t("upload_limit", view.lang, mb=mb, n=n), className="hint mt-2", id=ids.UPLOAD_LIMIT),
        html.P(t("upload_steps", view.lang), className="hint"),
        html.Div(id=ids.UPLOAD_QUEUE),
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

    def parse_turn(waiting):
        """A turn among the checks parsing on this machine (none to wait for under Celery)."""
        where = check_slots(server.config["SHEQU_CACHE_DIR"])
        return nullcontext() if where is None else check_queue.turn(*where, waiting=waiting)

    def request_lang() -> str:
        lang = dash.ctx.states.get(f"{ids.UPLOAD_LANG}.data") if dash.ctx else None
        return lang if lang in LANGS else "zh"

    def failed(error: Exception):
        """A check or submission whose job died, never started, or failed: said in the page."""
        dash.set_props(ids.UPLOAD_QUEUE, {"children": None})
        if job_lost(error):
            log.warning("upload job lost: %s", error)
            return job_lost_message(request_lang())
        log.error("upload job failed: %s", error, exc_info=error)
        return dbc.Alert([html.Strong(t("callback_error_title", request_lang())), " ",
                          t("callback_error_body", request_lang())], color="danger")

    @app.callback(Output(ids.UPLOAD_DROPPED, "data"), Output(ids.UPLOAD_REFUSED, "children"),
                  Output(ids.UPLOAD_FILES, "contents"),
                  Input(ids.UPLOAD_FILES, "contents"), State(ids.UPLOAD_FILES, "filename"),
                  State(ids.UPLOAD_LANG, "data"), prevent_initial_call=True)
    def accept(contents, names, lang):
        """In the web request: the drop's files kept in the database (this server's limits), tokens out.

        The drop zone is emptied: the page holds no file's bytes, and the same file dropped again (as a lost check
        asks) is a change that fires this again (the renderer ignores a prop set to the value it has)."""
        if not contents:
            raise dash.exceptions.PreventUpdate
        who = auth.user()
        taken = accept_drop(server.config["SHEQU_ENGINE"], who, contents, names)
        return {"files": dropped(taken)}, render_refused(taken, lang or "zh"), None

    @app.callback(Output(ids.UPLOAD_RESULTS, "children"), Input(ids.UPLOAD_DROPPED, "data"),
                  State(ids.UPLOAD_LANG, "data"), background=True,
                  prevent_initial_call=True, interval=POLL_MS, on_error=failed,
                  progress=[Output(ids.UPLOAD_PROGRESS, "value"), Output(ids.UPLOAD_PROGRESS, "label"),
                            Output(ids.UPLOAD_QUEUE, "children")],
                  running=[(Output(ids.UPLOAD_FILES, "disabled"), True, False),
                           (Output(ids.UPLOAD_PROGRESS, "style"), {"display": "flex"}, {"display": "none"})])
    def check(set_progress, drop, lang):
        files = (drop or {}).get("files") if isinstance(drop, dict) else None
        if not files:
            return []
        engine, who = job_context()
        lang = lang or "zh"
        with parse_turn(lambda ahead: set_progress(queued(ahead, lang))):
            return check_files(engine, who, files, lang, set_progress, getattr(dash.ctx, "remote", None))

    @app.callback(Output(ids.UPLOAD_TOO_BIG_MESSAGE, "children"), Input(ids.UPLOAD_TOO_BIG, "data"),
                  State(ids.UPLOAD_LANG, "data"), prevent_initial_call=True)
    def too_big(held_back, lang):
        return render_too_big((held_back or {}).get("files"), lang or "zh")

    @app.callback(Output({"type": ids.UPLOAD_OUTCOME, "token": MATCH}, "children"),
                  Output({"type": ids.UPLOAD_SUBMIT_PROGRESS, "token": MATCH}, "children"),
                  Input({"type": ids.UPLOAD_SUBMIT, "token": MATCH}, "n_clicks"), State(ids.UPLOAD_LANG, "data"),
                  background=True, prevent_initial_call=True, interval=POLL_MS,
                  on_error=lambda error: [failed(error), dash.no_update],
                  running=[(Output({"type": ids.UPLOAD_SUBMIT, "token": MATCH}, "disabled"), True, True)])
    def submit(clicks, lang):
        if not clicks:
            raise dash.exceptions.PreventUpdate
        engine, who = job_context()
        token, lang = dash.ctx.triggered_id["token"], lang or "zh"
        # A background callback takes no pattern-matched progress outputs: each stage goes to this card's bar.
        bar = {"type": ids.UPLOAD_SUBMIT_PROGRESS, "token": token}
        with parse_turn(lambda ahead: dash.set_props(bar, {"children": queued(ahead, lang)[2]})):
            done = submit_file(engine, who, token, getattr(dash.ctx, "remote", None),
                               progress=lambda stage: dash.set_props(bar, {"children": submit_progress(stage, lang)}))
        return render_submitted(done, lang), submit_progress("done", lang)

    @server.route(f"{PROBLEMS_PATH}/<token>.csv")
    def problems_download(token: str):
        """A checked file's full problem list, for the user who uploaded it only."""
        who = auth.user()
        if who is None or not who.may(auth.UPLOADERS):
            return security.plain_error(403, t("forbidden", "zh"), t("forbidden", "en"))
        problems = kept_problems(server.config["SHEQU_ENGINE"], token, int(who.id))
        if problems is None:
            return security.plain_error(404, t("expired", "zh"), t("expired", "en"))
        lang = request.args.get("lang") if request.args.get("lang") in LANGS else "zh"
        name = quote("问题清单.csv" if lang == "zh" else "problems.csv")
        return Response(problems_csv(problems, lang), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename=problems.csv; filename*=UTF-8''{name}",
                                 "Cache-Control": "no-store"})

    @app.callback(Output(ids.UPLOAD_MY_RETURNS, "children"),
                  Input({"type": ids.UPLOAD_OUTCOME, "token": ALL}, "children"), State(ids.UPLOAD_LANG, "data"),
                  prevent_initial_call=True)
    def refresh_returns(_outcomes, lang):
        """The list of returns again once a submission has its outcome (a new return, or one it superseded)."""
        who = auth.user()
        if who is None or not who.may(auth.UPLOADERS):
            raise dash.exceptions.PreventUpdate
        return my_returns(data.source(), who, lang or "zh")
