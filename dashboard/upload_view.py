"""How the upload page shows a checked file, a submission's outcome and the county's returns."""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from . import data, ids
from .components import table
from .i18n import MISSING, county_name, period_label, t
from .auth import UPLOADERS
from .uploads import Checked, Submitted, accept, check_waiting, decode, display_name

SUBMIT_STAGES = {"checking": 10, "loading": 50, "done": 100}    # how far the bar is as each stage starts


def limits() -> tuple[int, int]:
    """(MB per file, files per drop) — stated on the page, enforced by the server."""
    from .app import MAX_FILES_PER_REQUEST, max_file_bytes
    return max_file_bytes() // 2**20, MAX_FILES_PER_REQUEST


def megabytes(size: object) -> str:
    """A file's size in MB, rounded up to a tenth, so that a file over the limit never reads as the limit."""
    try:
        return f"{math.ceil(float(size) / 2**20 * 10) / 10:,.1f}"
    except (TypeError, ValueError, OverflowError):
        return MISSING


def render_too_big(files: object, lang: str) -> list:
    """The files the browser held back as over the limit (they never reach the server): each by name and size."""
    mb = limits()[0]
    files = files if isinstance(files, list) else []
    return [dbc.Alert(t("too_big_dropped", lang, file=display_name(f.get("name")), size=megabytes(f.get("size")),
                        mb=mb), color="danger", className="upload-too-big")
            for f in files if isinstance(f, dict)]


def submit_progress(stage: str, lang: str) -> list:
    """A submission's bar at a stage: what is happening, and how far along."""
    value = SUBMIT_STAGES[stage]
    return [html.Div(t(f"submit_{stage}", lang), className="hint upload-submit-stage"),
            dbc.Progress(value=value, label=f"{value}%", striped=value < 100, animated=value < 100,
                         className="upload-submit-bar")]


PREVIEW_FIELDS = ("community_code", "community_name", "township_name", "community_kind", "service_area_m2",
                  "service_items", "grid_managed", "weak")
FIELD_LABELS = {"community_code": ("社区代码", "Code"), "community_name": ("社区名称", "Community"),
                "township_name": ("乡镇（街道）", "Township"), "community_kind": ("社区类型", "Kind"),
                "service_area_m2": ("服务用房面积（平方米）", "Premises (m²)"),
                "service_items": ("服务项目数（项）", "Service items"), "grid_managed": ("网格化管理", "Grid"),
                "weak": ("基础薄弱", "Weak")}


def _label(field: str, lang: str) -> str:
    from etl.read.schema import COMMUNITY_FIELDS
    if field in FIELD_LABELS:
        return FIELD_LABELS[field][1 if lang == "en" else 0]
    for f in COMMUNITY_FIELDS:
        if f.name == field:
            return f.label_en if lang == "en" else f.header
    return field


def _cell(value, lang: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return MISSING
    if isinstance(value, bool):
        return t("yes" if value else "no", lang)
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return str(value)


def _county(code: str | None, lang: str, counties: Mapping[str, str]) -> str:
    return county_name(code, counties.get(code), lang) if code else MISSING


def problems_table(checked: Checked, lang: str):
    """The first problems (settings: upload.problems_shown), the count of the rest, and the link to all of them."""
    rows = [[p.get("sheet") or "", "" if p.get("row") is None else str(p["row"]), p.get("column") or "",
             t("error" if p["severity"] == "error" else "warning", lang),
             p["message_en"] if lang == "en" else p["message_zh"]] for p in checked.problems]
    cols = [(t("sheet", lang), "text"), (t("row", lang), "num"), (t("column", lang), "text"),
            (t("severity", lang), "text"), (t("message", lang), "text")]
    more = checked.errors + checked.warnings - len(checked.problems)
    # Above the table, where a phone shows it without scrolling past a hundred rows: how many are not shown, and
    # the whole list.
    before = [html.P(t("problems_more", lang, n=f"{more:,}"), className="hint upload-problems-more")] if more else []
    if checked.token:
        before.append(html.P(html.A(t("problems_download", lang), href=problems_url(checked.token, lang), download="",
                                    className="btn btn-outline-secondary btn-sm upload-problems-download")))
    return html.Div([html.H3(t("problems", lang), className="h6 section-title"), *before,
                     table(cols, rows, className="problems-table")])


PROBLEMS_PATH = "/upload/problems"


def problems_url(token: str, lang: str) -> str:
    return f"{PROBLEMS_PATH}/{token}.csv?lang={lang}"


PROBLEM_COLUMNS = ("sheet", "row", "column", "severity", "problem_code", "message")


def problems_csv(problems, lang: str):
    """A checked file's full problem list as CSV lines (UTF-8 with a BOM, so that Excel reads the Chinese), headed in
    the page's language; one problem at a time, never the whole list in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield "\ufeff" + line([t(c, lang) for c in PROBLEM_COLUMNS])
    for p in problems:
        yield line([p.get("sheet") or "", "" if p.get("row") is None else p["row"], p.get("column") or "",
                    t("error" if p["severity"] == "error" else "warning", lang), p["code"],
                    p["message_en"] if lang == "en" else p["message_zh"]])


def preview_table(checked: Checked, lang: str):
    fields = [f for f in PREVIEW_FIELDS if checked.preview and f in checked.preview[0]]
    rows = [[_cell(r.get(f), lang) for f in fields] for r in checked.preview]
    cols = [(_label(f, lang), "num" if f in ("service_area_m2", "service_items") else "text") for f in fields]
    return html.Div([html.H3(t("preview", lang, n=len(rows)), className="h6 section-title"),
                     table(cols, rows, className="preview-table")])


def diff_table(checked: Checked, lang: str):
    if checked.diff is None:
        return None
    if not checked.diff:
        return html.P(t("diff_none", lang), className="hint diff-none")
    rows = [[t(f"diff_{d['change']}", lang), d["community_code"], d["community_name"] or "",
             _label(d["field"], lang) if d["field"] else "",
             f"{_cell(d['old'], lang)} → {_cell(d['new'], lang)}" if d["change"] == "changed" else ""]
            for d in checked.diff]
    cols = [(t("change", lang), "text"), ("代码" if lang == "zh" else "Code", "text"), (t("community", lang), "text"),
            (t("field", lang), "text"), (t("old_new", lang), "text")]
    return html.Div([html.H3(t("diff_title", lang), className="h6 section-title"),
                     table(cols, rows, className="diff-table")])


def render_checked(checked: Checked, who, lang: str, counties: Mapping[str, str] | None = None) -> html.Div:
    """One file's dry run: where it is from, what was found, the problems, the changes, the preview, Submit.

    counties: code → name, as the database's registry has it (data.county_names); without it, counties by code.
    """
    counties = counties or {}
    errors, warnings = checked.errors, checked.warnings
    where = (t("county_period", lang, county=_county(checked.county_code, lang, counties),
               period=period_label(checked.period, lang))
             if checked.county_code and checked.period else t("unknown_county_period", lang))
    body = [html.Div(where, className="upload-where")]
    if checked.status == "not-xlsx":
        body.append(dbc.Alert(t("not_xlsx", lang), color="danger"))
    elif checked.status == "too-big":
        body.append(dbc.Alert(t("too_big", lang, mb=limits()[0]), color="danger"))
    elif checked.status == "expired":
        body.append(dbc.Alert(t("expired", lang), color="warning", className="upload-expired"))
    else:
        counts = checked.counts
        if counts:
            body.append(html.Div(t("found", lang, n=counts.get("communities", 0), matched=checked.matched,
                                   links=counts.get("links", 0)), className="upload-found"))
        body.append(html.Div([html.Span(t("n_errors", lang, n=errors), className="light light-red me-2" if errors
                                        else "light light-none me-2"),
                              html.Span(t("n_warnings", lang, n=warnings), className="light light-amber" if warnings
                                        else "light light-none")], className="upload-counts"))
        if checked.status == "forbidden":
            body.append(dbc.Alert(t("not_your_county", lang, county=_county(who.county_code, lang, counties)),
                                  color="danger", className="upload-forbidden"))
        elif errors:
            body.append(dbc.Alert(t("errors_block", lang), color="danger", className="upload-blocked"))
        else:
            body.append(dbc.Alert(t("ready", lang), color="success", className="upload-ready"))
        if checked.problems:
            body.append(problems_table(checked, lang))
        body.append(diff_table(checked, lang))
        if checked.preview:
            body.append(preview_table(checked, lang))
    if checked.can_submit:
        body.append(html.Div([
            html.Button(t("submit", lang), id={"type": ids.UPLOAD_SUBMIT, "token": checked.token},
                        className="btn btn-primary upload-submit", disabled=not checked.can_submit),
            html.Div(id={"type": ids.UPLOAD_SUBMIT_PROGRESS, "token": checked.token},
                     className="upload-submit-progress mt-2"),
            html.Div(id={"type": ids.UPLOAD_OUTCOME, "token": checked.token}, className="upload-outcome mt-2")],
            className="mt-3"))
    return html.Div(dbc.Card([dbc.CardHeader(html.Strong(checked.file, className="upload-file-name")),
                              dbc.CardBody(body)], className="panel"),
                    className="upload-file", **{"data-status": checked.status})


def render_submitted(done: Submitted, lang: str):
    if done.status == "loaded":
        return dbc.Alert(t("submitted_ok", lang, id=done.submission_id), color="success", className="upload-loaded")
    if done.status == "unchanged":
        return dbc.Alert(t("unchanged", lang, id=done.submission_id), color="info", className="upload-unchanged")
    if done.status == "expired":
        return dbc.Alert(t("expired", lang), color="warning")
    if done.status == "forbidden":
        return dbc.Alert(t("forbidden", lang), color="danger", className="upload-refused")
    return dbc.Alert(t("errors_block", lang), color="danger")


def returns_title(who, lang: str) -> str:
    """本县报表 over an analyst's county's returns; an admin sees every county's, and the heading says so."""
    return t("all_submissions" if who.is_admin else "my_submissions", lang)


def my_returns(src, who, lang: str):
    """The county's returns (every county's for an admin), newest first, with status and the city's comment."""
    subs = data.submissions(src)
    if not who.is_admin:
        subs = subs[subs["county_code"] == who.county_code]
    subs = subs.head(30)
    if subs.empty:
        return html.P(t("none_found", lang), className="hint")
    counties = data.county_names(src.engine)
    rows = [[f"#{r['id']}", _county(r["county_code"], lang, counties), period_label(r["period"], lang),
             r["file_name"], t(f"status_{r['status']}", lang), r["comment"] or ""]
            for _, r in subs.iterrows()]
    cols = [(t("submission", lang), "text"), (t("county", lang), "text"), (t("period", lang), "text"),
            (t("file", lang), "text"), (t("status", lang), "text"), (t("comment", lang), "text")]
    return table(cols, rows, className="my-returns")


def accept_drop(engine, who, contents, names) -> list[Checked]:
    """What the web request does with a drop: the first files (the page's limit) kept if their name and size are
    right, each refused one named; the bytes go no further than the database."""
    from .app import MAX_FILES_PER_REQUEST, max_file_bytes
    if who is None or not who.may(UPLOADERS):
        return []
    contents = contents if isinstance(contents, list) else [contents]
    names = names if isinstance(names, list) else [names] * len(contents)
    names = (names + [None] * len(contents))[:len(contents)]
    most = max_file_bytes()
    taken = [accept(engine, who, name, _decoded(content, most), most)
             for content, name in zip(contents[:MAX_FILES_PER_REQUEST], names)]
    return taken + [Checked(None, display_name(name), "too-many") for name in names[MAX_FILES_PER_REQUEST:]]


def _decoded(content: object, most: int) -> bytes | None:
    """The file's bytes, not decoded at all when its base64 alone says it is over the limit."""
    if not isinstance(content, str) or len(content) > most * 4 // 3 + 256:
        return None
    return decode(content)


def dropped(taken: list[Checked]) -> list[dict]:
    """What the browser keeps of a drop and the check reads: each accepted file's name and token."""
    return [{"file": c.file, "token": c.token} for c in taken if c.status == "waiting"]


def render_refused(taken: list[Checked], lang: str) -> list:
    """The files of a drop the server refused, each said once."""
    mb, n = limits()
    extra = [c.file for c in taken if c.status == "too-many"]
    sep = "：" if lang == "zh" else ": "
    reason = {"not-xlsx": t("not_xlsx", lang), "too-big": t("too_big", lang, mb=mb)}
    shown = [dbc.Alert(f"{c.file}{sep}{reason[c.status]}", color="danger", className="upload-refused-file")
             for c in taken if c.status in reason]
    if extra:
        shown.append(dbc.Alert(t("too_many_files", lang, n=n, files=("、" if lang == "zh" else ", ").join(extra)),
                               color="warning", className="upload-too-many"))
    return shown


def check_files(engine, who, files, lang, set_progress=None, remote=None) -> list:
    """The dry run of every accepted file of a drop (dropped()), rendered; progress after each file."""
    if who is None or not who.may(UPLOADERS):
        return [dbc.Alert(t("forbidden", lang), color="warning")]
    files = [f for f in (files if isinstance(files, list) else []) if isinstance(f, dict)]
    shown, counties = [], data.county_names(engine)
    for i, f in enumerate(files):
        if set_progress:
            set_progress((int(100 * i / len(files)), f"{i}/{len(files)}", ""))
        checked = check_waiting(engine, who, f.get("token"), remote)
        checked.file = checked.file or display_name(f.get("file"))
        shown.append(render_checked(checked, who, lang, counties))
    if set_progress:
        set_progress((100, f"{len(files)}/{len(files)}", ""))
    return shown


def queued(ahead: int, lang: str) -> tuple:
    """The check's progress while it waits its turn: an empty bar and how many checks are ahead."""
    return 0, "", html.Div(t("queued", lang, n=ahead), className="hint upload-queued")


def job_lost(lang: str):
    return dbc.Alert(t("job_lost", lang), color="warning", className="upload-lost")
