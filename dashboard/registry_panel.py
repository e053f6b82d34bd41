"""审核 Admin's registry panel: a change file dropped, shown as a dry run, then applied; the change sets listed.

The dry run reads the file in the web request (a change file is a few KB: capped at MAX_BYTES) and, when it passes,
keeps the bytes server-side in upload_waiting under a token bound to the admin (dashboard/uploads.py): the browser
holds only the token, and Apply applies exactly those bytes — checked once more by apply_change_file, which applies
a file whole or not at all. Both steps check the admin role themselves (the server's guard has already refused
others by CALLBACK_ROLES).
"""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import flask
import pandas as pd
from dash import Input, Output, State, dcc, html
from sqlalchemy import delete

from etl.periods import format_effective
from etl.read.changes import CHANGE_WORDS, read_rows
from etl.read.problems import Report, ShequError
from etl.store.db import registry_from_db, upload_waiting
from etl.store.registry_changes import ChangeOutcome, apply_change_file, change_sets

from . import auth, ids
from .components import table
from .i18n import LABELS, MISSING, period_label, t
from .uploads import decode, display_name, stash, unstash

MAX_BYTES = 2 * 2**20
KINDS = ("rename", "merge", "split", "new", "abolish", "move")     # the order the words are said in
HIDDEN, SHOWN = {"display": "none"}, {}


def _sep(lang: str) -> str:
    return "、" if lang == "zh" else ", "


def changes_in_words(changes: dict, lang: str) -> str:
    """{"rename": 1, "merge": 2} → "更名 1、合并 2" / "rename 1, merge 2" (rows of the file, by kind)."""
    known = [k for k in KINDS if changes.get(k)] + [k for k in changes if k not in KINDS]
    return _sep(lang).join(f"{t(f'registry_change_{k}', lang) if k in KINDS else k} {changes[k]}" for k in known)


def periods_in_words(periods, lang: str) -> str:
    return _sep(lang).join(period_label(p, lang) for p in periods) if periods else t("registry_no_periods", lang)


def sets_in_words(sets, lang: str) -> str:
    """The audit record's sets: "2016年：更名 1、合并 2" a set, separated by "；"."""
    parts = [f"{format_effective(s.get('effective', ''), lang)}{'：' if lang == 'zh' else ': '}"
             f"{changes_in_words(s.get('changes') or {}, lang)}" for s in sets if isinstance(s, dict)]
    return ("；" if lang == "zh" else "; ").join(parts)


def _when(value) -> str:
    return MISSING if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def sets_table(sets: list[dict], lang: str, recomputed_key: str = "registry_recomputed"):
    """One row a change set of a dry run or an outcome: when it takes effect, what it changes, what is recomputed."""
    rows = [[format_effective(s["effective"], lang), changes_in_words(s["changes"], lang),
             periods_in_words(s["periods"], lang)] for s in sets]
    cols = [(t("registry_effective", lang), "text"), (t("registry_changes", lang), "text"),
            (t(recomputed_key, lang), "text")]
    return table(cols, rows, className="registry-sets-summary")


def _column(column: str | None, lang: str) -> str:
    """A file's column as its header reads, with the Chinese word beside it: 原代码（old_code）."""
    if not column:
        return ""
    key = f"registry_col_{column}"
    return f"{t(key, 'zh')}（{column}）" if lang == "zh" and key in LABELS else column


def problems_table(outcome: ChangeOutcome, lang: str):
    """Every problem of the file by row, in the page's language (the style of the upload page's table)."""
    problems = sorted(outcome.report.problems, key=lambda p: (p.row or 0, p.column or "", p.code))
    rows = [["" if p.row is None else str(p.row), _column(p.column, lang),
             t("error" if p.severity == "error" else "warning", lang), p.message(lang)] for p in problems]
    cols = [(t("row", lang), "num"), (t("registry_column", lang), "text"), (t("severity", lang), "text"),
            (t("message", lang), "text")]
    return html.Div([html.H3(t("problems", lang), className="h6 section-title"),
                     table(cols, rows, className="problems-table registry-problems")])


def change_rows(registry, content: bytes, file_name: str, lang: str):
    """The file's rows as an official checks them: which community (by name too) becomes what, row by row."""
    rows = read_rows(content, file_name, Report(file_name))
    known = registry.by_code()

    def named(code: str, name: str = "") -> str:
        return " ".join(part for part in (code, name or (known[code].name if code in known else "")) if part)

    shown = []
    for row, v in rows:
        word = v.get("change", "")
        kind = CHANGE_WORDS.get(word) or word.lower()
        after = named(v.get("new_code", "") or (v.get("old_code", "") if kind in ("rename", "move") else ""),
                      v.get("new_name", ""))
        where = v.get("township_name", "")
        shown.append([str(row), t(f"registry_change_{kind}", lang) if kind in KINDS else word,
                      format_effective(v["effective_period"], lang) if v.get("effective_period") else "",
                      named(v.get("old_code", "")), f"{after} → {where}" if where and after else after or where,
                      v.get("note", "")])
    cols = [(t("row", lang), "num")] + [(t(key, lang), "text") for key in (
        "registry_kind_of_change", "registry_effective", "registry_before", "registry_after", "registry_note")]
    return html.Details([html.Summary(t("registry_rows", lang, n=len(shown)), className="registry-rows-toggle"),
                         table(cols, shown, className="registry-rows")], className="registry-rows-box mt-2")


def render_dry_run(outcome: ChangeOutcome, lang: str, rows=None) -> html.Div:
    """What the dry run found: refused (every problem, nothing changed) or passed (each set, to be applied, and the
    rows one by one under a toggle)."""
    errors, warnings = len(outcome.report.errors), len(outcome.report.warnings)
    if outcome.status == "rejected":
        body = [dbc.Alert(t("registry_rejected", lang, n=errors), color="danger", className="registry-rejected")]
    else:
        body = [dbc.Alert(t("registry_valid", lang), color="info", className="registry-valid"),
                sets_table(outcome.sets, lang), rows]
        if warnings:
            body.append(html.P(t("registry_warnings", lang, n=warnings), className="hint"))
    if outcome.report.problems:
        body.append(problems_table(outcome, lang))
    return _file_card(outcome.file, body, outcome.status)


def render_applied(outcome: ChangeOutcome, lang: str) -> html.Div:
    if outcome.applied:
        effective = _sep(lang).join(format_effective(s["effective"], lang) for s in outcome.sets)
        body = [dbc.Alert(t("registry_applied", lang, file=outcome.file, effective=effective), color="success",
                          className="registry-applied"),
                sets_table(outcome.sets, lang, "registry_recomputed_done")]
    else:                        # the registry changed between the dry run and the apply
        body = [dbc.Alert(t("registry_apply_rejected", lang, n=len(outcome.report.errors)), color="danger",
                          className="registry-rejected"), problems_table(outcome, lang)]
    return _file_card(outcome.file, body, outcome.status)


def _file_card(file: str, body: list, status: str) -> html.Div:
    return html.Div(dbc.Card([dbc.CardHeader(html.Strong(file, className="registry-file-name")), dbc.CardBody(body)],
                             className="panel"), className="registry-file", **{"data-status": status})


def _alert(key: str, lang: str, color: str = "danger", **values) -> dbc.Alert:
    return dbc.Alert(t(key, lang, **values), color=color, className=f"registry-message {key}")


def history(engine, lang: str):
    """The change sets applied, newest first; an empty state when there are none."""
    sets = change_sets(engine)
    if sets.empty:
        return html.P(t("registry_none", lang), className="hint registry-none")
    rows = [[format_effective(r["effective_period"], lang), _when(r["applied_at"]), r["applied_by"], r["file_name"],
             changes_in_words(r["summary"].get("changes") or {}, lang),
             periods_in_words(r["summary"].get("periods") or [], lang)] for _, r in sets.iterrows()]
    cols = [(t("registry_effective", lang), "text"), (t("registry_applied_at", lang), "text"),
            (t("registry_applied_by", lang), "text"), (t("file", lang), "text"),
            (t("registry_changes", lang), "text"), (t("registry_recomputed_done", lang), "text")]
    return table(cols, rows, className="registry-history-table")


def panel(engine, lang: str) -> html.Div:
    """The panel in the admin page: the drop zone, the dry run and Apply, the change sets applied."""
    mb = MAX_BYTES // 2**20
    return html.Div([
        html.P(t("registry_intro", lang), className="hint"),
        dcc.Upload(id=ids.REGISTRY_UPLOAD, multiple=False, accept=".csv,.xlsx", max_size=-1, className="drop-zone",
                   children=html.Div([html.Div("⇪", className="drop-icon"), t("registry_drop", lang, mb=mb)])),
        dcc.Store(id=ids.REGISTRY_TOKEN),
        dcc.Loading(html.Div(id=ids.REGISTRY_RESULT, className="mt-3"), type="dot"),
        html.Div([html.Button(t("registry_apply", lang), id=ids.REGISTRY_APPLY, className="btn btn-primary"),
                  html.Span(t("registry_apply_hint", lang), className="hint registry-apply-hint")],
                 id=ids.REGISTRY_APPLY_BAR, className="registry-apply-bar mt-2", style=HIDDEN),
        html.H3(t("registry_history", lang), className="h6 section-title mt-4"),
        html.Div(history(engine, lang), id=ids.REGISTRY_SETS)])


def dry_run(engine, who, contents, file_name, lang: str, remote=None) -> tuple:
    """A dropped file: (what to show, the token of a file that passed or None, Apply's style)."""
    if who is None or not who.is_admin:
        return _alert("forbidden", lang, "warning"), None, HIDDEN
    name = display_name(file_name or "changes.csv")
    if not name.lower().endswith((".csv", ".xlsx")):
        return _alert("registry_not_csv", lang, file=name), None, HIDDEN
    if not isinstance(contents, str) or len(contents) > MAX_BYTES * 4 // 3 + 256:
        size = f"{len(contents) * 3 / 4 / 2**20:,.1f}" if isinstance(contents, str) else MISSING
        return _alert("registry_too_big", lang, file=name, size=size, mb=MAX_BYTES // 2**20), None, HIDDEN
    content = decode(contents)
    if content is None or len(content) > MAX_BYTES:
        return _alert("registry_not_csv", lang, file=name), None, HIDDEN
    outcome = apply_change_file(engine, content, name, who.username, dry_run=True, remote_addr=remote)
    if outcome.status != "valid":
        return render_dry_run(outcome, lang), None, HIDDEN
    rows = change_rows(registry_from_db(engine), content, name, lang)
    # Only a file that passed is kept: Apply reads these very bytes back by the token, for this admin only.
    return render_dry_run(outcome, lang, rows), stash(engine, int(who.id), name, content), SHOWN


def apply(engine, who, token, lang: str, remote=None) -> tuple:
    """Apply the file the dry run passed: (what to show, whether the registry changed)."""
    if who is None or not who.is_admin:
        return _alert("forbidden", lang, "warning"), False
    found = claim(engine, token, int(who.id))
    if found is None:
        return _alert("registry_expired", lang, "warning"), False
    name, content = found
    try:
        outcome = apply_change_file(engine, content, name, who.username, remote_addr=remote)
    except ShequError as exc:               # another change set went in meanwhile
        return _alert("registry_apply_failed", lang, reason=str(exc)), False
    return render_applied(outcome, lang), outcome.applied


def claim(engine, token, user_id: int) -> tuple[str, bytes] | None:
    """The waiting file of this admin, taken out of upload_waiting: of two requests with one token (a double
    click, a replay) only the first gets it."""
    found = unstash(engine, token, user_id) if isinstance(token, str) else None
    if found is None:
        return None
    with engine.begin() as conn:
        taken = conn.execute(delete(upload_waiting).where(upload_waiting.c.token == token,
                                                          upload_waiting.c.user_id == user_id)).rowcount
    return found if taken == 1 else None


def step(engine, who, trigger, contents, file_name, token, lang, remote=None) -> tuple:
    """What a drop or a click on Apply does: (result, token, Apply's style, drop zone emptied, the change sets list,
    the admin page's audit log)."""
    keep = dash.no_update
    lang = lang if lang in ("zh", "en") else "zh"
    if trigger == ids.REGISTRY_UPLOAD:
        if not contents:
            raise dash.exceptions.PreventUpdate
        if who is not None:
            claim(engine, token, int(who.id))    # a new file replaces the one waiting to be applied
        shown, token, style = dry_run(engine, who, contents, file_name, lang, remote)
        return shown, token, style, None, keep, keep
    shown, changed = apply(engine, who, token, lang, remote)
    if not changed:
        return shown, None, HIDDEN, keep, keep, keep
    from .audit_view import audit_table
    return shown, None, HIDDEN, keep, history(engine, lang), audit_table(engine, lang)


def register_callbacks(app: dash.Dash) -> None:
    """Bound to this app (called by the admin page's register_callbacks)."""
    @app.callback(Output(ids.REGISTRY_RESULT, "children"), Output(ids.REGISTRY_TOKEN, "data"),
                  Output(ids.REGISTRY_APPLY_BAR, "style"), Output(ids.REGISTRY_UPLOAD, "contents"),
                  Output(ids.REGISTRY_SETS, "children"), Output(ids.ADMIN_AUDIT, "children", allow_duplicate=True),
                  Input(ids.REGISTRY_UPLOAD, "contents"), Input(ids.REGISTRY_APPLY, "n_clicks"),
                  State(ids.REGISTRY_UPLOAD, "filename"), State(ids.REGISTRY_TOKEN, "data"),
                  State(ids.ADMIN_LANG, "data"), prevent_initial_call=True,
                  running=[(Output(ids.REGISTRY_APPLY, "disabled"), True, False)])
    def on_registry(contents, _apply, file_name, token, lang):
        return step(flask.current_app.config["SHEQU_ENGINE"], auth.user(), dash.ctx.triggered_id, contents,
                    file_name, token, lang, flask.request.remote_addr)
