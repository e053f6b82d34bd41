"""The page frame (header band, navigation, period and language controls) and the small shared pieces."""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

import dash
import dash_bootstrap_components as dbc
import flask
from dash import dcc, html

from etl.compute.scorecard import NOT_APPLICABLE, STANDING_COLOURS, STANDING_MARKS, STANDINGS

from . import data, ids
from .city import app_title
from .i18n import county_name, dropdown_labels, parse_lang, period_label, t
from .urls import href, text_param

log = logging.getLogger(__name__)


@dataclass
class View:
    """What a page is showing: language, data source, period, and its own query parameters."""

    path: str
    lang: str
    src: data.Source
    period: str | None
    periods: tuple[str, ...]
    params: dict = field(default_factory=dict)

    def link(self, path: str | None = None, **changes) -> str:
        """A link to `path` (this page by default) keeping the language, period and (same page) parameters."""
        query = {"lang": self.lang if self.lang != "zh" else None, "period": self.period,
                 ids.BASIS: self.src.basis if self.src.basis != default_basis() else None}
        if path in (None, self.path):
            query.update(self.params)
        query.update(changes)
        return href(path or self.path, **query)


def lang_to_remember(asked: str | None, cookie: str | None) -> str | None:
    """The language a view asked for in its address, when the cookie does not hold it yet."""
    return asked if asked == parse_lang(asked, cookie) and cookie != asked else None


def remember_lang(response, lang: str):
    """The visitor's language, kept for a year (the next visit without ?lang= opens in it)."""
    response.set_cookie(ids.LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def make_view(path: str, query: dict, *params: str) -> View:
    """Read the query: the language (also remembered in a cookie), the period (latest when invalid)."""
    asked = text_param(query.get("lang"))
    cookie = flask.request.cookies.get(ids.LANG_COOKIE) if flask.has_request_context() else None
    lang = parse_lang(asked, cookie)
    remembered = lang_to_remember(asked, cookie)
    if remembered and flask.has_request_context():
        flask.after_this_request(lambda response: remember_lang(response, remembered))
    src = data.source(parse_basis(text_param(query.get(ids.BASIS))))
    period = data.resolve_period(src, text_param(query.get("period")))
    return View(path, lang, src, period, data.periods(src), {p: text_param(query.get(p)) for p in params})


def default_basis() -> str:
    return flask.current_app.config["SHEQU_BASIS"] if flask.has_app_context() else "approved"


def parse_basis(value) -> str:
    """approved | current from the query; the app's default otherwise."""
    return value if value in ("approved", "current") else default_basis()


def safe_layout(path: str):
    """Wrap a page's layout so a failure shows a plain message (never a traceback) and is logged."""
    def wrap(layout):
        @functools.wraps(layout)
        def guarded(**query):
            try:
                return layout(**query)
            except Exception:  # noqa: BLE001 — the page must render something the reader can act on
                log.exception("page %s failed", path)
                lang = parse_lang(text_param(query.get("lang")),
                                  flask.request.cookies.get(ids.LANG_COOKIE) if flask.has_request_context() else None)
                return error_state(lang)
        return guarded
    return wrap


def shell(view: View, title: str, *children, controls=None) -> html.Div:
    """The page frame: header band with the controls shared by every page, navigation, the content."""
    return html.Div([header(view), navbar(view), dbc.Container([
        html.Div([html.H1(title, className="page-title"),
                  html.Div(period_label(view.period, view.lang), className="print-only print-period")],
                 className="page-head"),
        html.Div(controls, className="page-controls d-print-none") if controls else None,
        period_banner(view),
        *children,
    ], fluid="xl", className="page-body")], lang="zh-CN" if view.lang == "zh" else "en")


def period_banner(view: View) -> dbc.Alert | None:
    """An incomplete period says so on every page: 已报送 k/n, the missing counties by name, that its city figures
    are not the city's total, and a link to the latest complete period."""
    state = data.period_state(view.src, view.period)
    if state is None or state.complete:
        return None
    names = data.counties(view.src).set_index("code")["name"]
    missing = [county_name(c, names.get(c), view.lang) for c in state.missing]
    shown = ("、" if view.lang == "zh" else ", ").join(missing[:12]) + ("…" if len(missing) > 12 else "")
    latest = data.resolve_period(view.src, None)
    back = (dcc.Link(t("incomplete_back", view.lang, period=period_label(latest, view.lang)),
                     href=view.link(period=latest), className="alert-link ms-1")
            if latest and latest != view.period and data.period_state(view.src, latest).complete else None)
    return dbc.Alert([
        html.Strong(t("incomplete_title", view.lang, k=len(state.reported), n=len(state.expected))),
        html.Span(t("incomplete_missing", view.lang, counties=shown), className="ms-1"),
        html.Span(t("incomplete_body", view.lang), className="ms-1"), back,
    ], color="warning", className="period-banner", id=ids.PERIOD_BANNER)


def period_option(view: View, period: str) -> str:
    """"2016年（不完整 1/7）" in the period menu: an incomplete period is marked before anyone opens it."""
    state = data.period_state(view.src, period)
    if state is None or state.complete:
        return period_label(period, view.lang)
    short = t("incomplete_short", view.lang, k=len(state.reported), n=len(state.expected))
    return f"{period_label(period, view.lang)}（{short}）" if view.lang == "zh" else \
        f"{period_label(period, view.lang)} ({short})"


def header(view: View) -> html.Header:
    options = [{"label": period_option(view, p), "value": p} for p in reversed(view.periods)]
    other = "en" if view.lang == "zh" else "zh"
    return html.Header(dbc.Container([
        html.Div([html.Div(app_title(view.lang, data.city(view.src)), className="brand-title"),
                  html.Div(t("app_subtitle", view.lang), className="brand-subtitle")], className="brand"),
        html.Div([
            html.Label(t("period", view.lang), htmlFor="period-select", className="header-label"),
            dcc.Dropdown(id=ids.qparam("period"), options=options, value=view.period, clearable=False,
                         labels=dropdown_labels(view.lang),
                         searchable=False, className="period-select", disabled=not options),
            basis_switch(view),
            dcc.Link("English" if other == "en" else "中文", id=ids.LANG_TOGGLE, className="lang-toggle",
                     href=view.link(lang=other), title="Language / 语言"),
            user_menu(view),
        ], className="header-controls d-print-none"),
    ], fluid="xl", className="header-inner"), className="app-header")


def basis_switch(view: View):
    """Approved figures only (default) or with the submitted ones, provisional; kept in the URL as basis=."""
    options = [{"label": t("basis_approved", view.lang), "value": "approved"},
               {"label": t("basis_current", view.lang), "value": "current"}]
    return html.Div(dcc.RadioItems(id=ids.qparam(ids.BASIS), options=options, value=view.src.basis, inline=True,
                                   className="basis-switch", inputClassName="me-1", labelClassName="me-2"),
                    title=t("basis_hint", view.lang), className="basis-box")


def user_menu(view: View):
    """The logout form, its name and CSRF token left blank: the app's shell fills them in for whoever is logged
    in (dashboard/app.py), so that one drawing of a page can be shown to every user of a role."""
    from . import security
    return html.Form([
        dcc.Store(id=ids.PAGE_LANG, data=view.lang),
        html.Span(className="user-name", id=ids.USER_NAME),
        dcc.Input(type="hidden", name=security.CSRF_FIELD, id=ids.LOGOUT_CSRF, value=""),
        html.Button(t("logout", view.lang), type="submit", className="btn btn-sm btn-outline-light logout-btn",
                    id=ids.LOGOUT_BUTTON),
    ], action="/logout", method="POST", className="user-menu", id=ids.USER_MENU)


def visible_pages(role: str | None) -> list[dict]:
    """The registered pages this role may open, in menu order (pages declare `roles=` when restricted)."""
    pages = sorted(dash.page_registry.values(), key=lambda p: p.get("order", 99))
    return [p for p in pages if p.get("nav") is not False and (not p.get("roles") or role in p["roles"])]


def refused(view: View, title: str):
    """The page a role may not see: a message, not the page (the server refuses the callbacks too)."""
    return shell(view, title, dbc.Alert(t("forbidden", view.lang), color="warning", id=ids.FORBIDDEN))


def navbar(view: View) -> html.Nav:
    """The navigation, built from dash.page_registry (so a page registered later appears by itself)."""
    from . import auth
    who = auth.user()
    items = []
    for page in visible_pages(who.role if who else None):
        label = page.get("name_en", page["name"]) if view.lang == "en" else page["name"]
        active = page["path"] == view.path
        items.append(dcc.Link(label, href=view.link(page["path"]), className="nav-link" + (" active" if active else ""),
                              id=ids.nav(page['path'])))
    return html.Nav(dbc.Container(items, fluid="xl", className="nav-inner"), className="app-nav d-print-none")


def empty_state(lang: str) -> dbc.Alert:
    return dbc.Alert([html.H2(t("empty_title", lang), className="h5"), html.P(t("empty_body", lang)),
                      dcc.Link(t("upload_link", lang), href="/upload", className="btn btn-outline-primary btn-sm")],
                     color="light", className="empty-state", id=ids.EMPTY_STATE)


def error_state(lang: str) -> dbc.Alert:
    return dbc.Alert([html.H2(t("error_title", lang), className="h5"), html.P(t("error_body", lang))],
                     color="warning", className="error-state")


def standing_badge(standing: str | None, lang: str, compact: bool = False) -> html.Span:
    """Where a value stands against its target — 达标 only when met — with a second cue (✓ ≈ ! ✗, and the word
    unless compact) for colour-blind readers and print; 不适用 and 无数据 are distinct, and neither is a 0."""
    if standing not in STANDING_MARKS:
        key = "standing_na" if standing == NOT_APPLICABLE else "standing_none"
        return html.Span("—" if compact else t(key, lang), className=f"light light-none {key}", title=t(key, lang))
    word = t(f"standing_{standing}", lang)
    classes = f"light light-{STANDING_COLOURS[standing]} standing-{standing}"
    if compact:       # one element per cell: a national scorecard has thousands of them
        return html.Span(STANDING_MARKS[standing], className=f"{classes} compact", title=word)
    return html.Span([html.Span(STANDING_MARKS[standing], className="light-mark"), word], className=classes, title=word)


def standing_legend(lang: str, green: float, amber: float) -> html.Div:
    """What each mark means: the words and the bands of the target (green, amber: the settings' fractions)."""
    bands = {"met": t("legend_met", lang), "near": t("legend_near", lang, green=f"{green * 100:g}"),
             "low": t("legend_low", lang, green=f"{green * 100:g}", amber=f"{amber * 100:g}"),
             "behind": t("legend_behind", lang, amber=f"{amber * 100:g}")}
    items = [html.Span([standing_badge(s, lang), html.Span(bands[s], className="legend-text")], className="legend-item")
             for s in STANDINGS]
    items += [html.Span([standing_badge(NOT_APPLICABLE, lang), html.Span(t("legend_na", lang), className="legend-text")],
                        className="legend-item"),
              html.Span([standing_badge(None, lang), html.Span(t("legend_none", lang), className="legend-text")],
                        className="legend-item")]
    return html.Div(items, className="standing-legend hint", id=ids.STANDING_LEGEND)


def page_of(value, rows: int, page_rows: int) -> tuple[int, int]:
    """(page, pages) from the address's `page` (1-based; the first when absent or out of range)."""
    pages = max(1, -(-rows // page_rows))
    try:
        page = int(value)
    except (TypeError, ValueError):
        page = 1
    return (page if 1 <= page <= pages else 1), pages


def pager(view: View, page: int, pages: int, rows: int, page_rows: int, element_id: str,
          param: str = "page") -> html.Nav | None:
    """Rows first–last of n, with previous / numbered / next links that keep the rest of the view in the URL
    (the page number in `param`)."""
    if pages <= 1:
        return None
    first, last = (page - 1) * page_rows + 1, min(page * page_rows, rows)

    def link(label, target, active=False):
        return dcc.Link(label, href=view.link(**{param: None if target == 1 else target}),
                        className="page-link" + (" active" if active else ""))

    numbers = [link(str(n), n, n == page) for n in range(1, pages + 1)]
    return html.Nav([
        html.Span(t("page_rows", view.lang, first=f"{first:,}", last=f"{last:,}", n=f"{rows:,}"), className="hint me-3"),
        link("‹ " + t("page_previous", view.lang), page - 1) if page > 1 else None,
        *numbers,
        link(t("page_next", view.lang) + " ›", page + 1) if page < pages else None,
    ], className="pager", id=element_id)


def paged(view: View, frame, page_rows: int, element_id: str, param: str = "page"):
    """One page of a long list: the rows of the page the address asks for (`param`) and the pager over them; the
    page is recorded in the view so that the page's other links keep it."""
    page, pages = page_of(view.params.get(param), len(frame), page_rows)
    view.params[param] = None if page == 1 else str(page)
    shown = frame.iloc[(page - 1) * page_rows:page * page_rows]
    return shown, pager(view, page, pages, len(frame), page_rows, element_id, param)


def card(title: str, *body, className: str = "") -> dbc.Card:
    return dbc.Card([dbc.CardHeader(html.H2(title, className="card-title-text")) if title else None,
                     dbc.CardBody(list(body))], className=f"panel {className}".strip())


def graph(figure, lang: str, graph_id=None, className: str = "") -> dcc.Graph:
    from .figures import graph_config
    kwargs = {"id": graph_id} if graph_id else {}
    return dcc.Graph(figure=figure, config=graph_config(lang), className=f"chart {className}".strip(), **kwargs)


def table(columns: list[tuple[str, str]], rows: list[list], className: str = "", caption: str | None = None):
    """A plain table: columns are (label, 'num'|'text'); numbers right-aligned; scrolls in its own box."""
    head = html.Thead(html.Tr([html.Th(label, className="num" if kind == "num" else None) for label, kind in columns]))
    body = html.Tbody([html.Tr([html.Td(cell, className="num" if kind == "num" else None)
                                for cell, (_label, kind) in zip(row, columns)]) for row in rows])
    parts = [html.Caption(caption)] if caption else []
    return html.Div(dbc.Table(parts + [head, body], size="sm", hover=True, className=f"data-table {className}"),
                    className="table-box")
