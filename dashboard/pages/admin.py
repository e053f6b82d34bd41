"""审核 Admin: approve or return submissions, publish a period, manage users, read the audit log (admins only)."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import flask
import pandas as pd
from dash import Input, Output, State, dcc, html

from etl.periods import period_sort_key
from etl.store.publish import publications
from etl.store.queries import submissions
from etl.store.status import Status
from etl.store.users import ROLES, list_users

from dashboard import auth, data, ids, registry_panel
from dashboard.data import county_names
from dashboard.admin_actions import (awaiting, chosen_ids, create_user, end_user_sessions, publish_period, review,
                                     set_user_disabled, set_user_email)
from dashboard.audit_view import audit_table
from dashboard.components import card, make_view, refused, safe_layout, shell, table
from dashboard.i18n import county_name, period_label, t
from dashboard.urls import text_param

PATH = "/admin"
dash.register_page(__name__, path=PATH, name="审核", name_en="Admin", order=8, title=data.page_title("审核"),
                   roles=auth.ADMINS)

CONFIRM_LINES = 15          # returns named one by one in the confirmation; the rest are counted


def _engine():
    return flask.current_app.config["SHEQU_ENGINE"]


def _county(code, lang, counties):
    """A county by name: counties is code → name, as the database's registry has it (data.county_names)."""
    return county_name(code, counties.get(code), lang) if code else ""


def _when(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def _ids_text(numbers, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(f"#{i}" for i in numbers)


def message(ok: bool, key: str, values: dict, lang: str, counties: dict | None = None):
    """An action's outcome in words; counties (code → name) for a message that names counties."""
    if key == "raw":
        text = values.get("text", "")
    elif key == "publish_missing":
        sep = "、" if lang == "zh" else ", "
        text = t(key, lang, period=period_label(values["period"], lang),
                 counties=sep.join(_county(c, lang, counties or {}) for c in values["counties"]))
    elif key in ("approved_many", "returned_many"):
        text = t(key, lang, n=values["n"], ids=_ids_text(values["ids"], lang))
        if values.get("skipped"):
            text += ("" if lang == "zh" else " ") + t("skipped_many", lang, skipped=values["skipped"])
    else:
        values = {**values, "period": period_label(values["period"], lang)} if "period" in values else values
        text = t(key, lang, **values)
    return dbc.Alert(text, color="success" if ok else "danger", className="admin-result", duration=None)


def submissions_table(engine, lang: str):
    subs, counties = submissions(engine).head(200), county_names(engine)
    rows = [[f"#{r['id']}", _county(r["county_code"], lang, counties), period_label(r["period"], lang), r["file_name"],
             r["uploaded_by"], _when(r["uploaded_at"]), t(f"status_{r['status']}", lang), r["comment"] or ""]
            for _, r in subs.iterrows()]
    cols = [(t("submission", lang), "text"), (t("county", lang), "text"), (t("period", lang), "text"),
            (t("file", lang), "text"), (t("by", lang), "text"), (t("uploaded_at", lang), "text"),
            (t("status", lang), "text"), (t("comment", lang), "text")]
    return table(cols, rows, className="admin-submissions-table")


def _awaiting(engine):
    subs = submissions(engine)
    return subs[subs["status"] == Status.SUBMITTED]


def _return_label(r, lang: str, counties) -> str:
    return f"#{r['id']} {_county(r['county_code'], lang, counties)} {period_label(r['period'], lang)} {r['file_name']}"


def submission_options(engine, lang: str) -> list[dict]:
    counties = county_names(engine)
    return [{"label": _return_label(r, lang, counties), "value": int(r["id"])}
            for _, r in _awaiting(engine).iterrows()]


def awaiting_period_options(engine, lang: str) -> list[dict]:
    """The periods with returns awaiting approval, newest first, each with how many."""
    counts = _awaiting(engine)["period"].value_counts()
    return [{"label": t("awaiting_period_option", lang, period=period_label(p, lang), n=int(counts[p])), "value": p}
            for p in sorted(counts.index, key=period_sort_key, reverse=True)]


def awaiting_period_value(options: list[dict], wanted: str | None) -> str | None:
    """The period asked for (the address, or the one chosen before) while it has returns awaiting; else the newest."""
    values = [o["value"] for o in options]
    return wanted if wanted in values else (values[0] if values else None)


def confirm_text(engine, chosen_ids: list[int], lang: str) -> str:
    """The confirmation's words: how many returns, and which (the first CONFIRM_LINES by name)."""
    subs = submissions(engine)
    chosen = subs[subs["id"].isin(chosen_ids)].sort_values("id")
    counties = county_names(engine)
    lines = [_return_label(r, lang, counties) for _, r in chosen.head(CONFIRM_LINES).iterrows()]
    if len(chosen) > CONFIRM_LINES:
        lines.append(t("confirm_more", lang, n=len(chosen) - CONFIRM_LINES))
    return "\n".join([t("confirm_approve", lang, n=len(chosen)), *lines])


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
    counties = county_names(engine)
    rows = [[u["username"], t(f"role_{u['role']}", lang), _county(u["county_code"], lang, counties),
             u["email"] or "", t("yes" if u["disabled"] else "no", lang)] for u in list_users(engine)]
    return table([(t("username", lang), "text"), (t("role", lang), "text"), (t("county", lang), "text"),
                  (t("email", lang), "text"), (t("disabled", lang), "text")], rows, className="admin-users-table")


def user_email(engine, username: str | None) -> str:
    """The chosen user's address, to edit."""
    return next((u["email"] or "" for u in list_users(engine) if u["username"] == username), "")


def user_options(engine) -> list[dict]:
    return [{"label": u["username"], "value": u["username"]} for u in list_users(engine)]


def _field(label: str, control) -> html.Div:
    return html.Div([html.Label(label, className="control-label"), control], className="control")


def review_panel(engine, lang: str, period: str | None):
    """Approve a whole period, or chosen returns (or send them back): every approval asks to be confirmed."""
    periods = awaiting_period_options(engine, lang)
    return html.Div([
        html.H3(t("approve_by_period", lang), className="h6 section-title"),
        html.Div([
            _field(t("period", lang), dcc.Dropdown(id=ids.ADMIN_APPROVE_PERIOD, options=periods, clearable=False,
                                                   value=awaiting_period_value(periods, period),
                                                   placeholder=t("none_awaiting", lang), className="control-select")),
            html.Div(html.Button(t("approve_period_button", lang), id=ids.ADMIN_APPROVE_ALL,
                                 className="btn btn-success"), className="control"),
        ], className="control-bar"),
        html.H3(t("approve_by_choice", lang), className="h6 section-title"),
        html.Div([
            _field(t("choose_submissions", lang), dcc.Dropdown(
                id=ids.ADMIN_PICK, options=submission_options(engine, lang), multi=True, className="control-select wide")),
            _field(t("comment", lang), dcc.Textarea(id=ids.ADMIN_COMMENT, placeholder=t("comment_placeholder", lang),
                                                    maxLength=2000, className="form-control control-input wide", rows=1)),
            html.Div([html.Button(t("approve", lang), id=ids.ADMIN_APPROVE, className="btn btn-success"),
                      html.Button(t("send_back", lang), id=ids.ADMIN_RETURN, className="btn btn-outline-danger")],
                     className="control control-actions"),
        ], className="control-bar"),
        dcc.ConfirmDialog(id=ids.ADMIN_CONFIRM), dcc.Store(id=ids.ADMIN_PENDING),
        html.Div(id=ids.ADMIN_MESSAGE), html.Div(submissions_table(engine, lang), id=ids.ADMIN_SUBMISSIONS)])


def publish_panel(engine, lang: str):
    return html.Div([
        html.Div([_field(t("period", lang), dcc.Dropdown(id=ids.ADMIN_PUBLISH_PERIOD,
                                                         options=period_options(engine, lang),
                                                         className="control-select")),
                  html.Div(html.Button(t("publish", lang), id=ids.ADMIN_PUBLISH, className="btn btn-primary"),
                           className="control")], className="control-bar"),
        html.Div(id=ids.ADMIN_PUBLISH_MESSAGE), html.H3(t("publications", lang), className="h6 section-title"),
        html.Div(publications_table(engine, lang), id=ids.ADMIN_PUBLICATIONS)])


def users_panel(engine, lang: str):
    counties = county_names(engine)
    return html.Div([
        html.Div(users_table(engine, lang), id=ids.ADMIN_USERS),
        html.H3(t("add_user", lang), className="h6 section-title"),
        html.Div([
            _field(t("username", lang), dcc.Input(id=ids.ADMIN_NEW_NAME, maxLength=64, className="control-input")),
            _field(t("password", lang), dcc.Input(id=ids.ADMIN_NEW_PASSWORD, type="password",
                                                  className="control-input")),
            _field(t("role", lang), dcc.Dropdown(id=ids.ADMIN_NEW_ROLE, value="viewer", clearable=False,
                                                 options=[{"label": t(f"role_{r}", lang), "value": r} for r in ROLES],
                                                 className="control-select")),
            _field(t("county", lang), dcc.Dropdown(id=ids.ADMIN_NEW_COUNTY, className="control-select", options=[
                {"label": _county(c, lang, counties), "value": c} for c in sorted(counties)])),
            _field(t("email", lang), dcc.Input(id=ids.ADMIN_NEW_EMAIL, type="email", maxLength=254,
                                               placeholder=t("email_placeholder", lang), className="control-input")),
            html.Div(html.Button(t("add_user", lang), id=ids.ADMIN_ADD_USER, className="btn btn-primary"),
                     className="control"),
        ], className="control-bar"),
        html.Div([
            _field(t("username", lang), dcc.Dropdown(id=ids.ADMIN_USER_PICK, options=user_options(engine),
                                                     className="control-select")),
            html.Div([html.Button(t("disable_user", lang), id=ids.ADMIN_DISABLE, className="btn btn-outline-danger"),
                      html.Button(t("enable_user", lang), id=ids.ADMIN_ENABLE, className="btn btn-outline-secondary"),
                      html.Button(t("end_sessions", lang), id=ids.ADMIN_END_SESSIONS,
                                  className="btn btn-outline-secondary")],
                     className="control control-actions"),
            _field(t("email", lang), dcc.Input(id=ids.ADMIN_USER_EMAIL, type="email", maxLength=254,
                                               placeholder=t("email_placeholder", lang), className="control-input")),
            html.Div(html.Button(t("set_email", lang), id=ids.ADMIN_SET_EMAIL, className="btn btn-outline-primary"),
                     className="control"),
        ], className="control-bar"),
        html.Div(id=ids.ADMIN_USER_MESSAGE)])


@safe_layout(PATH)
def layout(**query):
    view = make_view(PATH, query)
    title = t("admin_title", view.lang)
    who = auth.user()
    if who is None or not who.is_admin:
        return refused(view, title)
    engine, lang = view.src.engine, view.lang
    # The period as the address names it (the overview's "awaiting approval" link): the view's own period is one
    # with approved figures, which a period awaiting approval may not have yet.
    asked = text_param(query.get("period"))
    return shell(view, title,
                 card(t("submissions", lang), review_panel(engine, lang, asked)),
                 card(t("publish_title", lang), publish_panel(engine, lang)),
                 card(t("registry_title", lang), registry_panel.panel(engine, lang)),
                 card(t("users", lang), users_panel(engine, lang)),
                 card(t("audit", lang), html.Div(audit_table(engine, lang), id=ids.ADMIN_AUDIT)),
                 dcc.Store(id=ids.ADMIN_LANG, data=lang))


def review_step(engine, who, trigger, period, picked, comment, pending, lang, remote=None) -> tuple:
    """What a click on the review panel does: (message, confirmation shown?, its words, what awaits it, the choice).

    Approve (a period, or the chosen returns) only asks; the confirmation's OK approves exactly what it named, in
    one transaction (admin_actions.review). Sending back needs a comment and no confirmation.
    """
    keep = dash.no_update
    if trigger in (ids.ADMIN_APPROVE_ALL, ids.ADMIN_APPROVE):
        numbers = (awaiting(engine, period) if period else []) if trigger == ids.ADMIN_APPROVE_ALL \
            else chosen_ids(picked)
        if not numbers:
            key = "none_awaiting" if trigger == ids.ADMIN_APPROVE_ALL else "choose_submission"
            return message(False, key, {}, lang), False, keep, None, keep
        return keep, True, confirm_text(engine, numbers, lang), {"ids": numbers}, keep
    if trigger == ids.ADMIN_CONFIRM:
        numbers = (pending or {}).get("ids") or []
        ok, key, values = review(engine, who, numbers, "approve", None, remote)
        return message(ok, key, values, lang), False, keep, None, [] if ok else keep
    ok, key, values = review(engine, who, chosen_ids(picked), "return", comment, remote)
    return message(ok, key, values, lang), False, keep, None, [] if ok else keep


def refreshed(engine, lang: str, approve_period: str | None) -> tuple:
    """Every list on the page as the database now has it (after any action on it)."""
    periods = awaiting_period_options(engine, lang)
    return (submissions_table(engine, lang), submission_options(engine, lang), periods,
            awaiting_period_value(periods, approve_period), period_options(engine, lang),
            publications_table(engine, lang), users_table(engine, lang), user_options(engine),
            audit_table(engine, lang))


def register_callbacks(app: dash.Dash) -> None:
    """Bound to this app; each action checks the admin role again (admin_actions). An action writes its message;
    every message refreshes every list (returns, periods, publications, users, the audit log)."""
    registry_panel.register_callbacks(app)
    @app.callback(Output(ids.ADMIN_MESSAGE, "children"), Output(ids.ADMIN_CONFIRM, "displayed"),
                  Output(ids.ADMIN_CONFIRM, "message"), Output(ids.ADMIN_PENDING, "data"), Output(ids.ADMIN_PICK, "value"),
                  Input(ids.ADMIN_APPROVE_ALL, "n_clicks"), Input(ids.ADMIN_APPROVE, "n_clicks"),
                  Input(ids.ADMIN_RETURN, "n_clicks"), Input(ids.ADMIN_CONFIRM, "submit_n_clicks"),
                  State(ids.ADMIN_APPROVE_PERIOD, "value"), State(ids.ADMIN_PICK, "value"), State(ids.ADMIN_COMMENT, "value"),
                  State(ids.ADMIN_PENDING, "data"), State(ids.ADMIN_LANG, "data"), prevent_initial_call=True)
    def on_review(_all, _approve, _return, _confirmed, period, picked, comment, pending, lang):
        return review_step(_engine(), auth.user(), dash.ctx.triggered_id, period, picked, comment, pending,
                           lang, flask.request.remote_addr)

    @app.callback(Output(ids.ADMIN_PUBLISH_MESSAGE, "children"), Input(ids.ADMIN_PUBLISH, "n_clicks"),
                  State(ids.ADMIN_PUBLISH_PERIOD, "value"), State(ids.ADMIN_LANG, "data"), prevent_initial_call=True)
    def on_publish(_clicks, period, lang):
        engine = _engine()
        ok, key, values = publish_period(engine, auth.user(), period, flask.request.remote_addr)
        return message(ok, key, values, lang, county_names(engine))

    @app.callback(Output(ids.ADMIN_USER_MESSAGE, "children"),
                  Input(ids.ADMIN_ADD_USER, "n_clicks"), Input(ids.ADMIN_DISABLE, "n_clicks"),
                  Input(ids.ADMIN_ENABLE, "n_clicks"), Input(ids.ADMIN_END_SESSIONS, "n_clicks"),
                  Input(ids.ADMIN_SET_EMAIL, "n_clicks"), State(ids.ADMIN_NEW_NAME, "value"),
                  State(ids.ADMIN_NEW_PASSWORD, "value"), State(ids.ADMIN_NEW_ROLE, "value"),
                  State(ids.ADMIN_NEW_COUNTY, "value"), State(ids.ADMIN_NEW_EMAIL, "value"),
                  State(ids.ADMIN_USER_PICK, "value"), State(ids.ADMIN_USER_EMAIL, "value"), State(ids.ADMIN_LANG, "data"),
                  prevent_initial_call=True)
    def on_user(_add, _disable, _enable, _end, _email, name, password, role, county, new_email, picked, email, lang):
        engine, who, remote = _engine(), auth.user(), flask.request.remote_addr
        if dash.ctx.triggered_id == ids.ADMIN_ADD_USER:
            result = create_user(engine, who, name, password, role, county, remote, new_email)
        elif dash.ctx.triggered_id == ids.ADMIN_SET_EMAIL:
            result = set_user_email(engine, who, picked, email, remote)
        elif dash.ctx.triggered_id == ids.ADMIN_END_SESSIONS:
            result = end_user_sessions(engine, who, picked, remote)
        else:
            result = set_user_disabled(engine, who, picked, dash.ctx.triggered_id == ids.ADMIN_DISABLE, remote)
        return message(*result, lang)

    @app.callback(Output(ids.ADMIN_USER_EMAIL, "value"), Input(ids.ADMIN_USER_PICK, "value"),
                  prevent_initial_call=True)
    def on_pick_user(picked):
        if auth.user() is None or not auth.user().is_admin:      # the guard refused others already; say nothing
            return ""
        return user_email(_engine(), picked)

    @app.callback(Output(ids.ADMIN_SUBMISSIONS, "children"), Output(ids.ADMIN_PICK, "options"),
                  Output(ids.ADMIN_APPROVE_PERIOD, "options"), Output(ids.ADMIN_APPROVE_PERIOD, "value"),
                  Output(ids.ADMIN_PUBLISH_PERIOD, "options"), Output(ids.ADMIN_PUBLICATIONS, "children"),
                  Output(ids.ADMIN_USERS, "children"), Output(ids.ADMIN_USER_PICK, "options"),
                  Output(ids.ADMIN_AUDIT, "children"), Input(ids.ADMIN_MESSAGE, "children"),
                  Input(ids.ADMIN_PUBLISH_MESSAGE, "children"), Input(ids.ADMIN_USER_MESSAGE, "children"),
                  State(ids.ADMIN_APPROVE_PERIOD, "value"), State(ids.ADMIN_LANG, "data"), prevent_initial_call=True)
    def refresh(_review, _publish, _user, approve_period, lang):
        return refreshed(_engine(), lang, approve_period)
