"""The briefing's printable HTML: A4 portrait sections built from the dashboard's reads and figures.

Every number is formatted by dashboard/i18n.py and every chart is a dashboard/figures.py figure, drawn by plotly.js
as SVG when Chromium opens the page. Lists are cut to what a printed page holds, and say how many more there are.
"""
from __future__ import annotations

import json
from html import escape
from pathlib import Path

import pandas as pd
from plotly.utils import PlotlyJSONEncoder

from etl.compute.scorecard import NOT_APPLICABLE, STANDING_COLOURS, STANDING_MARKS, standing
from etl.config import indicator_map, indicators, load_settings

from . import data, figures
from .briefing_pdf import Briefing, briefing_title, headline
from .i18n import fmt_change, fmt_number, fmt_signed, fmt_value, is_missing, period_label, t
from .pdf_print import CSP, plotly_script_tag

LIST_ROWS = 12            # rows of a list (weak communities, leaders, flags) a page holds
SCORECARD_ROWS = 30       # counties of the scorecard shown (a province's or a nation's are hundreds)
COUNTY_ROWS = 20          # counties of the shortfalls' table
REPORTING_ITEMS = 16      # counties' returns listed on page 1 (a province's or a nation's: the first to chase)
RANKING_BARS = 20         # bars of the ranking: beyond, the best and the worst ten (and the county's own)
CHART_WIDTH = 340         # pixels: two charts side by side in A4 portrait's 186 mm


def _colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def _sep(lang: str) -> str:
    return "、" if lang == "zh" else ", "


def badge(where: str | None, lang: str, compact: bool = False) -> str:
    """A traffic light with its second cue (✓ ≈ ! ✗ and the word): 达标 only when met; 不适用 and 无数据 apart."""
    if where not in STANDING_MARKS:
        key = "standing_na" if where == NOT_APPLICABLE else "standing_none"
        return f'<span class="light light-none">{escape(t("pdf_" + key if compact else key, lang))}</span>'
    word = "" if compact else " " + escape(t(f"standing_{where}", lang))
    return f'<span class="light light-{STANDING_COLOURS[where]}">{STANDING_MARKS[where]}{word}</span>'


def legend(lang: str) -> str:
    """What each mark means, with the settings' bands; 不适用 and 无数据 too."""
    s = load_settings()
    bands = {"met": t("legend_met", lang), "near": t("legend_near", lang, green=f"{s.green * 100:g}"),
             "low": t("legend_low", lang, green=f"{s.green * 100:g}", amber=f"{s.amber * 100:g}"),
             "behind": t("legend_behind", lang, amber=f"{s.amber * 100:g}")}
    items = [f"{badge(k, lang)} {escape(v)}" for k, v in bands.items()]
    items += [f"{badge(NOT_APPLICABLE, lang)} {escape(t('legend_na', lang))}",
              f"{badge(None, lang)} {escape(t('legend_none', lang))}"]
    return '<div class="legend">' + "".join(f"<span>{i}</span>" for i in items) + "</div>"


def table(columns: list[tuple[str, str]], rows: list[list[str]], cls: str = "", row_classes=None) -> str:
    """An HTML table; columns are (header, "num" | "text"); cells are HTML already escaped."""
    head = "".join(f'<th class="{kind}">{escape(label)}</th>' for label, kind in columns)
    row_classes = row_classes or [""] * len(rows)
    body = "".join(f'<tr class="{row_cls}">' + "".join(f'<td class="{kind}">{cell}</td>'
                                                       for (_, kind), cell in zip(columns, row))
                   + "</tr>" for row, row_cls in zip(rows, row_classes))
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def counted(title: str, n: int, lang: str) -> str:
    """"无领导包联的薄弱社区（3）" / "Weak communities without a leader (3)"."""
    return f"{title}（{n:,}）" if lang == "zh" else f"{title} ({n:,})"


def more_rows(total: int, shown: int, lang: str) -> str:
    """"另有 n 行未列出" under a list cut to what the page holds; nothing when all are shown."""
    return (f'<p class="hint">{escape(t("pdf_more_rows", lang, n=f"{total - shown:,}"))}</p>'
            if total > shown else "")


def section(title: str, *parts: str, cls: str = "") -> str:
    """A titled part of the briefing; cls="page" starts it on a new page."""
    return f'<section class="{cls}"><h2>{escape(title)}</h2>{"".join(p for p in parts if p)}</section>'


# ---- page 1: the title, the period's state, the KPIs, the map and the ranking

def incomplete_mark(b: Briefing) -> str:
    """"不完整 1/7" in amber: where an incomplete period's city figure would have its standing."""
    k, n = len(b.state.reported), len(b.state.expected)
    return f'<span class="light light-amber">{escape(t("incomplete_short", b.lang, k=k, n=n))}</span>'


def header(b: Briefing) -> str:
    """The dark red band: the programme, the title with the place and the period (and 不完整 k/n when it is)."""
    incomplete = "" if b.complete else " " + incomplete_mark(b)
    return (f'<header class="band"><div class="app">{escape(t("app_subtitle", b.lang))}</div>'
            f"<h1>{escape(briefing_title(b))}{incomplete}</h1></header>")


def incomplete_note(b: Briefing) -> str:
    """An incomplete period never passes for the city: said first, with the missing counties by name."""
    if b.complete:
        return ""
    missing = b.state.missing
    names = _sep(b.lang).join(b.county_label(c) for c in missing[:12]) + ("…" if len(missing) > 12 else "")
    words = [t("incomplete_title", b.lang, k=len(b.state.reported), n=len(b.state.expected)),
             t("incomplete_missing", b.lang, counties=names), t("incomplete_body", b.lang)]
    return f'<div class="alert">{escape(" ".join(words))}</div>'


def _when(label: str, period, shown: str, lang: str) -> str:
    """"较基期（2013年）" / "Since baseline (2013)": the label, and the period compared with when there is one."""
    if not isinstance(period, str) or shown == "—":
        return label
    return f"{label}（{period_label(period, lang)}）" if lang == "zh" else f"{label} ({period_label(period, lang)})"


def kpi_card(b: Briefing, ind, row, city_row=None) -> str:
    """Value, target and where it stands, the change since the baseline ("20 → 127 (×6.4)") and since the previous
    period; a county's card also shows the city's value. An incomplete period's city value has no standing."""
    lang = b.lang
    value = None if row is None else row["value"]
    judged = b.county is not None or b.complete
    where = standing(value, ind.target, load_settings(), ind.direction) if ind.target and judged else None
    target = f"{t('target', lang)} {fmt_value(ind.target, ind.unit, lang)}" if ind.target else t("no_target", lang)
    if not judged:
        mark = incomplete_mark(b)
    else:
        mark = badge(where, lang) if ind.target and not is_missing(value) else ""
    row = row if row is not None else {}
    since = ("—" if is_missing(row.get("baseline_value")) else
             fmt_change(row["baseline_value"], value, ind.unit, row["ratio_baseline"]))
    previous = fmt_signed(row.get("change_previous"), ind.unit)
    lines = [f'<div class="kpi-name">{escape(ind.name(lang))}</div>',
             f'<div class="kpi-value">{escape(fmt_value(value, ind.unit, lang))}</div>',
             f'<div class="kpi-line">{escape(target)} {mark}</div>',
             f'<div class="kpi-line">{escape(_when(t("since_baseline", lang), row.get("baseline_period"), since, lang))}</div>',
             f'<div class="kpi-change">{escape(since)}</div>',
             f'<div class="kpi-line muted">{escape(_when(t("since_previous", lang), row.get("previous_period"), previous, lang))}'
             f" {escape(previous)}</div>"]
    if b.county is not None:
        city_value = None if city_row is None else city_row["value"]
        shown = f"{t('city', lang)} {fmt_value(city_value, ind.unit, lang)}"
        partial = "" if b.complete else " " + incomplete_mark(b)      # a part of the city, never its total
        lines.append(f'<div class="kpi-line muted">{escape(shown)}{partial}</div>')
    band = STANDING_COLOURS.get(where, "none") if where else "none"
    return f'<div class="kpi kpi-{band}">{"".join(lines)}</div>'


def kpis(b: Briefing) -> str:
    """The headline indicators' cards: the city's, or the county's with the city's value on each."""
    city = data.city_values(b.src, b.period).set_index("indicator")
    mine = (data.values(b.src, "county", b.period, area=b.county).set_index("indicator") if b.county else city)
    cards = [kpi_card(b, ind, mine.loc[ind.id] if ind.id in mine.index else None,
                      city.loc[ind.id] if ind.id in city.index else None) for ind in headline()]
    title = t("kpis", b.lang) + (f" · {b.county_label(b.county)}" if b.county else "")
    return section(title, f'<div class="kpis">{"".join(cards)}</div>')


def chart(fig: dict, width: int = CHART_WIDTH) -> str:
    """A figure's placeholder and the plotly.js call that draws it there, static (no hover, no modebar)."""
    fig = {"data": fig["data"], "layout": {**fig["layout"], "width": width, "autosize": False}}
    source = next((a for a in reversed(fig["layout"].get("annotations", [])) if a.get("yref") == "paper"), None)
    if source is not None:          # the source line under the chart: wrapped to the chart's width, not cut
        lines = figures.wrap_title(source["text"], max_px=width - 24, size=11)
        if len(lines) > 1:
            fig["layout"]["annotations"] = [a if a is not source else {**a, "text": "<br>".join(lines), "align": "left"}
                                            for a in fig["layout"]["annotations"]]
            margin = fig["layout"]["margin"]
            fig["layout"]["margin"] = {**margin, "b": margin["b"] + 15 * (len(lines) - 1)}
    payload = json.dumps(fig, cls=PlotlyJSONEncoder, ensure_ascii=False).replace("</", "<\\/")
    return f'<div class="chart"><script type="application/json" class="fig">{payload}</script></div>'


def map_and_ranking(b: Briefing) -> str:
    ind = headline()[0]
    county = data.values(b.src, "county", b.period, ind.id)
    source = figures.source_text(b.period, b.lang, b.src.basis)
    name, period = ind.name(b.lang), period_label(b.period, b.lang)
    note = ""
    if len(county) > RANKING_BARS:       # a province's or a nation's hundreds of bars: the ends of the ranking
        order = county.sort_values("value", ascending=ind.direction == "down", na_position="last")
        keep = set(order["area_code"].head(RANKING_BARS // 2)) | set(order["area_code"].tail(RANKING_BARS // 2))
        note = f'<p class="hint">{escape(t("pdf_ranking_ends", b.lang, n=f"{len(county):,}", k=RANKING_BARS // 2))}</p>'
        county = county[county["area_code"].isin(keep | {b.county})]
    bars = figures.ranking(county, ind, b.lang, t("ranking_title", b.lang, indicator=name, period=period), source)
    if b.county:          # the county's own bar stands out; the others are grey
        codes = county.sort_values("value", ascending=ind.direction != "down", na_position="first")["area_code"]
        bars["data"][0]["marker"]["color"] = [figures.county_color(c, codes) if c == b.county else "#c8cdd3"
                                              for c in codes]
    city_map = data.city_map(b.src)
    if city_map.geojson is None:
        return (f'<div class="charts one">{chart(bars, 2 * CHART_WIDTH)}</div>{note}'
                f'<p class="hint">{escape(t("no_map", b.lang))}</p>')
    the_map = figures.county_map(data.values(b.src, "county", b.period, ind.id), city_map.geojson, ind, b.lang,
                                 t("map_title", b.lang, indicator=name, period=period), source)
    return f'<div class="charts">{chart(the_map)}{chart(bars)}</div>{note}'


# ---- page 2: the scorecard

def rank_change(change) -> str:
    """▲ 2 / ▼ 1 / ＝, or — without a previous rank (a first period, an incomplete one)."""
    if change is None or pd.isna(change):
        return '<span class="muted">—</span>'
    change = int(change)
    if change > 0:
        return f'<span class="up">▲ {change}</span>'
    if change < 0:
        return f'<span class="down">▼ {-change}</span>'
    return "＝"


def scorecard(b: Briefing) -> str:
    """The counties in rank order (etl.compute.scorecard via dashboard/data.py), each value with its light."""
    lang = b.lang
    title = t("scorecard_title", lang, period=period_label(b.period, lang))
    card = data.scorecard(b.src, b.period)
    if card.empty:
        return section(title, f'<p class="hint">{escape(t("empty_title", lang))}</p>', cls="page")
    card = card.sort_values(["rank", "area_code"])
    shown = card.head(SCORECARD_ROWS)
    if b.county and b.county not in set(shown["area_code"]):
        shown = pd.concat([shown, card[card["area_code"] == b.county]])
    table_ = indicator_map()
    weights = load_settings().weights
    columns = [(t("county", lang), "text")]
    columns += [(f"{table_[i].name(lang)}（{fmt_number(w, 'count')}）" if lang == "zh"
                 else f"{table_[i].name(lang)} ({fmt_number(w, 'count')})", "num") for i, w in weights.items()]
    columns += [(t("score", lang), "num"), (t("rank", lang), "num"), (t("rank_change", lang), "num")]
    rows, marks = [], []
    for row in shown.to_dict("records"):
        cells = [escape(b.county_label(row["area_code"]))]
        cells += [f'{escape(fmt_value(row[i], table_[i].unit, lang))} {badge(row[f"{i}_standing"], lang, compact=True)}'
                  for i in weights]
        cells += [escape(fmt_number(row["score"], "pct").rstrip("%")),
                  "—" if pd.isna(row["rank"]) else str(int(row["rank"])), rank_change(row["rank_change"])]
        rows.append(cells)
        marks.append(row["area_code"] == b.county)
    body = table(columns, rows, "scorecard", ["mine" if mine else "" for mine in marks])   # the county's own row
    note = ""
    if not b.complete:
        note = f'<div class="alert">{escape(t("scorecard_incomplete", lang, k=len(b.state.reported), n=len(b.state.expected)))}</div>'
    hints = (f'<p class="hint">{escape(t("weights_note", lang))} {escape(t("not_applicable_note", lang))}</p>'
             + legend(lang))
    return section(title, note, body, more_rows(len(card), len(shown), lang), hints, cls="page")


# ---- the shortfalls, the leaders, data quality, reporting, definitions

def shortfalls(b: Briefing) -> str:
    """The city's: per county, its communities and how many miss each standard. A county's: the communities
    missing a standard, and which."""
    lang = b.lang
    keys = [k for k, _ in data.STANDARDS]
    rows = data.community_table(b.src, b.period, b.county)
    if rows.empty:
        return section(t("missing_standard", lang), f'<p class="hint">{escape(t("empty_title", lang))}</p>')
    misses = rows[keys].eq(False).fillna(False)
    if b.county:
        missing = rows[misses.any(axis=1)]
        if missing.empty:
            return section(t("missing_standard", lang), f'<p class="hint">{escape(t("all_meet", lang))}</p>')
        labels = [t(k, lang) for k in keys]
        shown = missing.head(LIST_ROWS * 2)
        body = [[escape(name), escape(town or ""), escape(fmt_value(area, "m2", lang)),
                 escape(_sep(lang).join(label for label, miss in zip(labels, row) if miss))]
                for name, town, area, row in zip(shown["community_name"], shown["township_name"],
                                                 shown["service_area_m2"], misses.loc[shown.index].to_numpy())]
        cols = [(t("community", lang), "text"), (t("township_col", lang), "text"), (t("area_axis", lang), "num"),
                (t("standard", lang), "text")]
        return section(counted(t("missing_standard", lang), len(missing), lang),
                       table(cols, body), more_rows(len(missing), len(body), lang))
    per = misses.groupby(rows["county_code"]).sum()
    per["any"] = misses.any(axis=1).groupby(rows["county_code"]).sum()
    per["n"] = rows.groupby("county_code").size()
    cols = [(t("county", lang), "text"), (t("pdf_communities", lang), "num"), (t("pdf_missing_any", lang), "num")]
    cols += [(t(k, lang), "num") for k in keys]
    body = [[escape(b.county_label(code)), f"{int(r['n']):,}", f"{int(r['any']):,}"] + [f"{int(r[k]):,}" for k in keys]
            for code, r in per.sort_values("any", ascending=False).head(COUNTY_ROWS).iterrows()]
    return section(t("pdf_shortfalls", lang, period=period_label(b.period, lang)), table(cols, body),
                   more_rows(len(per), len(body), lang))


def leaders(b: Briefing) -> str:
    """Weak communities nobody links (where the returns came with links) and leaders outside the 1–3 rule."""
    lang = b.lang
    acc = data.leaders(b.src, b.period)
    if acc.empty:
        return section(t("weak_unlinked", lang), f'<p class="hint">{escape(t("no_leader_sheet", lang))}</p>')
    linked = {c for codes in acc["county_codes"] for c in codes}
    rows = data.community_table(b.src, b.period, b.county)
    weak = rows[rows["weak"].astype(bool) & rows["n_leaders"].eq(0) & rows["county_code"].isin(linked)] if len(rows) else rows
    if b.county:
        acc = acc[[b.county in codes for codes in acc["county_codes"]]]
    odd = acc[(acc["communities"] < 1) | (acc["communities"] > 3)]
    none = f'<p class="hint">{escape(t("none_found", lang))}</p>'
    few = weak.head(LIST_ROWS)
    weak_rows = [[escape(n), escape(b.county_label(c)), escape(town or "")]
                 for n, c, town in zip(few["community_name"], few["county_code"], few["township_name"])]
    weak_html = (table([(t("community", lang), "text"), (t("county", lang), "text"), (t("township_col", lang), "text")],
                       weak_rows) + more_rows(len(weak), len(weak_rows), lang)) if len(weak) else none
    levels = {"厅级": t("prefecture", lang), "县级": t("county_level", lang)}
    few = odd.head(LIST_ROWS)
    odd_rows = [[escape(n), escape(levels.get(lv, lv)), escape(post or ""), f"{int(k):,}"]
                for n, lv, post, k in zip(few["leader_name"], few["leader_level"], few["leader_post"],
                                          few["communities"])]
    odd_html = (table([(t("leader", lang), "text"), (t("level", lang), "text"), (t("post", lang), "text"),
                       (t("linked", lang), "num")], odd_rows) + more_rows(len(odd), len(odd_rows), lang)) if len(odd) else none
    return (f'<div class="two">{section(counted(t("weak_unlinked", lang), len(weak), lang), weak_html)}'
            f'{section(counted(t("outside_rule", lang), len(odd), lang), odd_html)}</div>')


FIELD_UNITS = {"service_area_m2": "m2", "service_items": "count", "facilities": "count", "staff": "count",
               "trained": "person_times"}


def quality(b: Briefing) -> str:
    """The period's data-quality flags (dashboard/quality.py): how many, and the first of them."""
    lang = b.lang
    found = data.flags(b.src, b.period)
    if b.county:
        found = found[found["county_code"] == b.county]
    title = counted(t("quality", lang, period=period_label(b.period, lang)), len(found), lang)
    if found.empty:
        return section(title, f'<p class="hint">{escape(t("no_flags", lang))}</p>')
    shown = found.head(LIST_ROWS)         # a nation's period raises tens of thousands: format only those shown
    kind = [f"pdf_flag_{f}" if f != "outlier" else f"pdf_flag_{d}" for f, d in zip(shown["flag"], shown["detail"])]
    body = [[escape(b.county_label(c)), escape(n), escape(t(k, lang)), escape(t(f, lang)),
             escape(fmt_number(v, FIELD_UNITS.get(f, "count"))), escape(fmt_number(p, FIELD_UNITS.get(f, "count")))]
            for c, n, k, f, v, p in zip(shown["county_code"], shown["community_name"], kind, shown["field"],
                                        shown["value"], shown["previous"])]
    cols = [(t("county", lang), "text"), (t("community", lang), "text"), (t("flag", lang), "text"),
            (t("field", lang), "text"), (t("value", lang), "num"), (t("previous", lang), "num")]
    return section(title, table(cols, body), more_rows(len(found), len(body), lang))


def reporting(b: Briefing) -> str:
    """Each county's return for the period: its status and date, or not received; and whether the period is complete."""
    from .quality import reporting_matrix
    from etl.store.status import LIVE
    lang = b.lang
    codes = list(b.names.index)
    grid = reporting_matrix(data.submissions(b.src, b.period), codes, [b.period])
    # What needs chasing first: not received, then not counted (returned, superseded), then the counted ones.
    urgency = [0 if status is None else (2 if status in LIVE else 1) for status in grid["status"]]
    grid = grid.assign(_urgency=urgency).sort_values("_urgency", kind="stable")
    cells = []
    for r in grid.to_dict("records"):
        if r["status"] is None:
            word = f'<span class="light light-red">✗ {escape(t("not_received", lang))}</span>'
        else:
            cls, mark = ("light-green", "✓") if r["status"] in LIVE else ("light-amber", "!")
            date = "" if r["uploaded_at"] is None else pd.Timestamp(r["uploaded_at"]).strftime("%Y-%m-%d")
            word = f'<span class="light {cls}">{mark} {escape(t("status_" + str(r["status"]), lang))}</span> {date}'
        cells.append(f'<span class="status-item"><b>{escape(b.county_label(r["county_code"]))}</b> {word}</span>')
    k, n = (len(b.state.reported), len(b.state.expected)) if b.state else (0, len(codes))
    done = f"{'✓' if b.complete else '!'} {k}/{n} {t('period_complete' if b.complete else 'period_incomplete', lang)}"
    summary = (f'<p><b>{escape(t("reported_row", lang))}</b> <span class="light light-{"green" if b.complete else "amber"}">'
               f"{escape(done)}</span></p>")
    shown = cells[:REPORTING_ITEMS]
    return section(t("reporting_title", lang) + " · " + period_label(b.period, lang), summary,
                   f'<div class="status">{"".join(shown)}</div>', more_rows(len(cells), len(shown), lang))


def definitions(b: Briefing) -> str:
    """Every indicator's name, short definition and target, from etl/indicators.toml."""
    lang = b.lang
    body = [[escape(i.name(lang)), escape(i.definition_en if lang == "en" else i.definition_zh),
             escape(fmt_value(i.target, i.unit, lang)) if i.target else "—"] for i in indicators()]
    return section(t("pdf_definitions", lang), table([(t("indicator", lang), "text"), (t("pdf_definition", lang), "text"),
                                                      (t("target", lang), "num")], body, "definitions"),
                   cls="whole")


def source_line(b: Briefing) -> str:
    """The basis, the data version (returns counted and the last change) and when the file was made."""
    state = data.queries.data_state(b.src.engine)
    changed = str(state.last_change)[:16] if state.last_change is not None else "—"
    return t("pdf_source_line", b.lang, source=figures.source_text(b.period, b.lang, b.src.basis), returns=state.returns,
             changed=changed, made=b.made_at.strftime("%Y-%m-%d %H:%M %Z").strip())


CSS = Path(__file__).with_name("briefing.css")

DRAW = """
window.PlotlyGeoAssets = {topojson: {world_110m: %s}};
for (const holder of document.querySelectorAll('.chart')) {
  const fig = JSON.parse(holder.querySelector('script.fig').textContent);
  Plotly.newPlot(holder, fig.data, fig.layout, {staticPlot: true, displayModeBar: false});
}
"""


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def page(b: Briefing) -> str:
    """The whole briefing as one HTML document, ready to print."""
    lang = b.lang
    source = figures.source_text(b.period, lang, b.src.basis)
    page_no = ('"第 " counter(page) " 页，共 " counter(pages) " 页"' if lang == "zh"
               else '"Page " counter(page) " of " counter(pages)')
    css = (CSS.read_text(encoding="utf-8").replace("{font}", figures.FONT).replace("{source}", _css_string(source)[1:-1])
           .replace("{page}", page_no))
    # Page 1 is the glance: the KPIs, the map and ranking, and whose returns the figures count. Then the scorecard
    # with the shortfalls and the leaders; then data quality and the definitions.
    body = [header(b), incomplete_note(b), kpis(b), map_and_ranking(b), reporting(b), scorecard(b), shortfalls(b),
            leaders(b), quality(b), definitions(b), f"<footer>{escape(source_line(b))}</footer>"]
    return (f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f"<title>{escape(briefing_title(b))}</title><style>{css}</style></head><body>"
            + "".join(body) + plotly_script_tag() + f"<script>{DRAW % _base_topojson()}</script></body></html>")


def _base_topojson() -> str:
    """The maps' base layer, from the app's assets (an empty world: the counties are the map); plotly.js would
    otherwise fetch it from its CDN, and draw no map without it."""
    return (Path(__file__).parent / "assets" / "topojson" / "world_110m.json").read_text(encoding="utf-8")
