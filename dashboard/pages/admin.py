"""审核 Admin: approve or return submissions, publish a period, manage users, read the audit log (admins only)."""
from __future__ import annotations

import json

import dash
import dash_bootstrap_components as dbc
import flask
import pandas as pd
from dash import Input, Output, State, dcc, html

from etl import audit
from etl.periods import period_sort_key
from etl.publish import publications
from etl.queries import submissions
from etl.registry import default_registry
from etl.users import ROLES, list_users

from dashboard import auth
from dashboard.admin_actions import create_user, publish_period, review, set_user_disabled
from dashboard.components import card, make_view, refused, safe_layout, shell, table
from dashboard.i18n import county_name, period_label, t

PATH = "/admin"
dash.register_page(__name__, path=PATH, name="审核", name_en="Admin", order=8, title="审核 · 玉林市社区",
                   roles=auth.ADMINS)

LANG = "admin-lang"
SUBMISSIONS, PICK, COMMENT, APPROVE, RETURN, MESSAGE = ("admin-submissions", "admin-submission", "admin-comment",
                                                         "admin-approve", "admin-return", "admin-message")
PUBLISH_PERIOD, PUBLISH, PUBLISH_MESSAGE, PUBLICATIONS = ("admin-publish-period", "admin-publish",
                                                          "admin-publish-message", "admin-publications")
USERS, NEW_NAME, NEW_PASSWORD, NEW_ROLE, NEW_COUNTY, ADD_USER = ("admin-users", "admin-new-username",
                                                                 "admin-new-password", "admin-new-role",
                                                                 "admin-new-county", "admin-add-user")
USER_PICK, DISABLE, ENABLE, USER_MESSAGE, AUDIT = ("admin-user-pick", "admin-disable", "admin-enable",
                                                   "admin-user-message", "admin-audit")


def _engine():
    return flask.current_app.config["SHEQU_ENGINE"]


def _county(code, lang):
    return county_name(code, default_registry().counties.get(code), lang) if code else ""


def _when(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def message(ok: bool, key: str, values: dict, lang: str):
    if key == "raw":
        text = values.get("text", "")
    elif key == "publish_missing":
        sep = "、" if lang == "zh" else ", "
        text = t(key, lang, period=period_label(values["period"], lang),
                 counties=sep.join(_county(c, lang) for c in values["counties"]))
    else:
        values = {**values, "period": period_label(values["period"], lang)} if "period" in values else values
        text = t(key, lang, **values)
    return dbc.Alert(text, color="success" if ok else "danger", className="admin-result", duration=None)


def submissions_table(engine, lang: str):
    subs = submissions(engine).head(200)
    rows = [[f"#{r['id']}", _county(r["county_code"], lang), period_label(r["period"], lang), r["file_name"],
             r["uploaded_by"], _when(r["uploaded_at"]), t(f"status_{r['status']}", lang), r["comment"] or ""]
            for _, r in subs.iterrows()]
    cols = [(t("submission", lang), "text"), (t("county", lang), "text"), (t("period", lang), "text"),
            (t("file", lang), "text"), (t("by", lang), "text"), (t("uploaded_at", lang), "text"),
            (t("status", lang), "text"), (t("comment", lang), "text")]
    return table(cols, rows, className="admin-submissions-table")


def submission_options(engine, lang: str) -> list[dict]:
    subs = submissions(engine)
    todo = subs[subs["status"] == "submitted"]
    return [{"label": f"#{r['id']} {_county(r['county_code'], lang)} {period_label(r['period'], lang)} "
                      f"{r['file_name']}", "value": int(r["id"])} for _, r in todo.iterrows()]


def period_options(engine, lang: str) -> list[dict]:
    found = sorted(set(submissions(engine)["period"]), key=period_sort_key, reverse=True)
    return [{"label": period_label(p, lang), "value": p} for p in found]


def publications_table(engine, lang: str):
    pubs = publications(engine)
    rows = [[period_label(r["period"], lang), str(r["version"]), _when(r["published_at"]), r["published_by"]]
            for _, r in pubs.iterrows()]
    return table([(t("period", lang), "text"), (t("version", lang), "num"), (t("published_at", lang), "text"),
                  (t("by", lang), "text")], rows, className="admin-publications-table")


def users_table(engine, lang: str):
    rows = [[u["username"], t(f"role_{u['role']}", lang), _county(u["county_code"], lang),
             t("yes" if u["disabled"] else "no", lang)] for u in list_users(engine)]
    return table([(t("username", lang), "text"), (t("role", lang), "text"), (t("county", lang), "text"),
                  (t("disabled", lang), "text")], rows, className="admin-users-table")


def user_options(engine) -> list[dict]:
    return [{"label": u["username"], "value": u["username"]} for u in list_users(engine)]


def audit_table(engine, lang: str):
    events = audit.events(engine, limit=200)
    rows = [[_when(r["at"]), r["username"] or "", r["action"], r["remote_addr"] or "",
             ", ".join(f"{k}={v}" for k, v in json.loads(r["detail"] or "{}").items() if v is not None)]
            for _, r in events.iterrows()]
    return table([(t("time", lang), "text"), (t("username", lang), "text"), (t("action", lang), "text"),
                  (t("address", lang), "text"), (t("detail", lang), "text")], rows, className="admin-audit-table")


def _field(label: str, control) -> html.Div:
    return html.Div([html.Label(label, className="control-label"), control], className="control")


def review_panel(engine, lang: str):
    return html.Div([
        html.Div([
            _field(t("choose_submission", lang), dcc.Dropdown(id=PICK, options=submission_options(engine, lang),
                                                              className="control-select wide")),
            _field(t("comment", lang), dcc.Textarea(id=COMMENT, placeholder=t("comment_placeholder", lang),
                                                    maxLength=2000, className="form-control", rows=1)),
            html.Div([html.Button(t("approve", lang), id=APPROVE, className="btn btn-success me-2"),
                      html.Button(t("send_back", lang), id=RETURN, className="btn btn-outline-danger")],
                     className="control"),
        ], className="control-bar"),
        html.Div(id=MESSAGE), html.Div(submissions_table(engine, lang), id=SUBMISSIONS)])


def publish_panel(engine, lang: str):
    return html.Div([
        html.Div([_field(t("period", lang), dcc.Dropdown(id=PUBLISH_PERIOD, options=period_options(engine, lang),
                                                         className="control-select")),
                  html.Div(html.Button(t("publish", lang), id=PUBLISH, className="btn btn-primary"),
                           className="control")], className="control-bar"),
        html.Div(id=PUBLISH_MESSAGE), html.H3(t("publications", lang), className="h6 section-title"),
        html.Div(publications_table(engine, lang), id=PUBLICATIONS)])


def users_panel(engine, lang: str):
    counties = default_registry().counties
    return html.Div([
        html.Div(users_table(engine, lang), id=USERS),
        html.H3(t("add_user", lang), className="h6 section-title"),
        html.Div([
            _field(t("username", lang), dcc.Input(id=NEW_NAME, maxLength=64, className="form-control")),
            _field(t("password", lang), dcc.Input(id=NEW_PASSWORD, type="password", className="form-control")),
            _field(t("role", lang), dcc.Dropdown(id=NEW_ROLE, value="viewer", clearable=False,
                                                 options=[{"label": t(f"role_{r}", lang), "value": r} for r in ROLES],
                                                 className="control-select")),
            _field(t("county", lang), dcc.Dropdown(id=NEW_COUNTY, className="control-select", options=[
                {"label": _county(c, lang), "value": c} for c in sorted(counties)])),
            html.Div(html.Button(t("add_user", lang), id=ADD_USER, className="btn btn-primary"), className="control"),
        ], className="control-bar"),
        html.Div([
            _field(t("username", lang), dcc.Dropdown(id=USER_PICK, options=user_options(engine),
                                                     className="control-select")),
            html.Div([html.Button(t("disable_user", lang), id=DISABLE, className="btn btn-outline-danger me-2"),
                      html.Button(t("enable_user", lang), id=ENABLE, className="btn btn-outline-secondary")],
                     className="control"),
        ], className="control-bar"),
        html.Div(id=USER_MESSAGE)])


@safe_layout(PATH)
def layout(**query):
    view = make_view(PATH, query)
    title = t("admin_title", view.lang)
    who = auth.user()
    if who is None or not who.is_admin:
        return refused(view, title)
    engine, lang = view.src.engine, view.lang
    return shell(view, title,
                 card(t("submissions", lang), review_panel(engine, lang)),
                 card(t("publish_title", lang), publish_panel(engine, lang)),
                 card(t("users", lang), users_panel(engine, lang)),
                 card(t("audit", lang), html.Div(audit_table(engine, lang), id=AUDIT)),
                 dcc.Store(id=LANG, data=lang))


def register_callbacks(app: dash.Dash) -> None:
    """Bound to this app; each action checks the admin role again (admin_actions)."""
    @app.callback(Output(MESSAGE, "children"), Output(SUBMISSIONS, "children"), Output(PICK, "options"),
                  Output(PICK, "value"), Input(APPROVE, "n_clicks"), Input(RETURN, "n_clicks"),
                  State(PICK, "value"), State(COMMENT, "value"), State(LANG, "data"), prevent_initial_call=True)
    def on_review(_a, _r, submission_id, comment, lang):
        action = "approve" if dash.ctx.triggered_id == APPROVE else "return"
        engine = _engine()
        ok, key, values = review(engine, auth.user(), submission_id, action, comment, flask.request.remote_addr)
        return (message(ok, key, values, lang), submissions_table(engine, lang), submission_options(engine, lang),
                None if ok else dash.no_update)

    @app.callback(Output(PUBLISH_MESSAGE, "children"), Output(PUBLICATIONS, "children"),
                  Input(PUBLISH, "n_clicks"), State(PUBLISH_PERIOD, "value"), State(LANG, "data"),
                  prevent_initial_call=True)
    def on_publish(_clicks, period, lang):
        engine = _engine()
        ok, key, values = publish_period(engine, auth.user(), period, flask.request.remote_addr)
        return message(ok, key, values, lang), publications_table(engine, lang)

    @app.callback(Output(USER_MESSAGE, "children"), Output(USERS, "children"), Output(USER_PICK, "options"),
                  Input(ADD_USER, "n_clicks"), Input(DISABLE, "n_clicks"), Input(ENABLE, "n_clicks"),
                  State(NEW_NAME, "value"), State(NEW_PASSWORD, "value"), State(NEW_ROLE, "value"),
                  State(NEW_COUNTY, "value"), State(USER_PICK, "value"), State(LANG, "data"),
                  prevent_initial_call=True)
    def on_user(_add, _disable, _enable, name, password, role, county, picked, lang):
        engine, who, remote = _engine(), auth.user(), flask.request.remote_addr
        if dash.ctx.triggered_id == ADD_USER:
            result = create_user(engine, who, name, password, role, county, remote)
        else:
            result = set_user_disabled(engine, who, picked, dash.ctx.triggered_id == DISABLE, remote)
        return message(*result, lang), users_table(engine, lang), user_options(engine)
