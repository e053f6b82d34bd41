"""Every label of the dashboard in Chinese and English, and the number formats officials expect."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from etl.compute.scorecard import STANDING_WORDS, is_missing  # noqa: F401 — the pages read it here
from etl.config import UNITS
from etl.periods import format_period
from etl.registry import county_name_en

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
MISSING = "—"

LABELS: dict[str, tuple[str, str]] = {
    "app_title": ("{city}社区标准化建设监测", "{city} Community Standardisation Monitor"),
    "app_name": ("社区标准化建设监测", "Community Standardisation Monitor"),
    "app_subtitle": ("城乡社区标准化建设绩效考核", "Performance of the community-standardisation programme"),
    "period": ("报告期", "Period"),
    "indicator": ("指标", "Indicator"),
    "county": ("县（市、区）", "County"),
    "all_counties": ("全部县（市、区）", "All counties"),
    "kind": ("社区类型", "Kind"),
    "all_kinds": ("全部类型", "All kinds"),
    "urban": ("城市社区", "Urban"),
    "township": ("乡镇社区", "Township"),
    "search": ("搜索社区、乡镇", "Search community or township"),
    "city": ("全市", "City"),
    "target": ("目标", "Target"),
    "baseline": ("基期", "Baseline"),
    "since_baseline": ("较基期", "Since baseline"),
    "since_previous": ("较上期", "Since previous"),
    "no_target": ("无目标值", "No target"),
    "empty_title": ("本期尚无报表", "No returns for this period yet"),
    "empty_body": ("本期尚无报表 — 请上传", "No returns for this period yet — please upload"),
    "upload_link": ("上传报表", "Upload a return"),
    "error_title": ("数据暂时无法读取", "The data cannot be read just now"),
    "error_body": ("请稍后刷新页面；如仍无法显示，请联系系统管理员。", "Reload the page in a moment; if it persists, contact the administrator."),
    "source": ("来源：各县（市、区）报表，{period}", "Source: county returns, {period}"),
    "source_approved": ("，已审核", ", approved"),
    "source_current": ("，含未审核（临时）", ", including unapproved (provisional)"),
    **{f"standing_{key}": words for key, words in STANDING_WORDS.items()},     # etl/compute/scorecard.py: 达标 only when met
    "legend_met": ("达到目标", "the target is reached"),
    "legend_near": ("未达目标，达目标的{green}%以上", "not reached, at least {green}% of the target"),
    "legend_low": ("达目标的{amber}%至{green}%", "{amber}% to {green}% of the target"),
    "legend_behind": ("低于目标的{amber}%", "under {amber}% of the target"),
    "legend_na": ("该指标对此地区不适用（如无城市社区）", "the indicator does not apply (e.g. no urban community)"),
    "legend_none": ("未报送或未填报", "nothing reported"),
    # An incomplete period (etl/store/completeness.py)
    "incomplete_title": ("本期数据不完整：已报送 {k}/{n} 个县（市、区）。", "Incomplete period: {k} of {n} counties reported."),
    "incomplete_missing": ("未报送：{counties}。", "Missing: {counties}."),
    "incomplete_body": ("“全市”数值仅含已报送的县（市、区），不是全市合计，不与其他时期比较；排名仅在已报送的县（市、区）之间。",
                        "\"City\" figures cover the reporting counties only: they are not the city's total and are not "
                        "compared with other periods; ranks are among the reporting counties only."),
    "incomplete_back": ("查看最近的完整时期（{period}）", "See the latest complete period ({period})"),
    "incomplete_short": ("不完整 {k}/{n}", "Incomplete {k}/{n}"),
    "incomplete_series": ("不完整时期", "Incomplete period"),
    "reported_row": ("计入本口径的报表", "Returns counted"),
    "period_complete": ("完整", "complete"),
    "period_incomplete": ("不完整", "incomplete"),
    # Overview
    "overview_title": ("全市总览", "City overview"),
    "kpis": ("核心指标", "Headline indicators"),
    "map_title": ("{indicator}：各县（市、区）分布，{period}", "{indicator} by county, {period}"),
    "no_map": ("本市尚无县界地图，以排名代替（管理员可用 shequ init --boundaries 添加）。",
               "No county boundaries for this city yet: the ranking is shown instead (an administrator can add them "
               "with shequ init --boundaries)."),
    "ranking_title": ("{indicator}：县（市、区）排名，{period}", "{indicator}: county ranking, {period}"),
    "trends": ("全市趋势", "City trends"),
    "county_trends": ("与全市对比趋势", "Trends against the city"),
    # Scorecard
    "scorecard_title": ("县（市、区）绩效考核，{period}", "County assessment, {period}"),
    "score": ("得分", "Score"),
    "rank": ("名次", "Rank"),
    "rank_change": ("名次变化", "Rank change"),
    "weights": ("权重", "Weights"),
    "weights_note": ("得分 = 各指标完成率（实际值 ÷ 目标值，最高为1）的加权平均 × 100。",
                     "Score = weighted mean of achievement (value ÷ target, capped at 1) × 100."),
    "weight_of": ("权重 {weight}", "weight {weight}"),
    "not_applicable_note": ("“不适用”（如无城市社区的县不计城市社区指标）和“无数据”的指标不计入得分，其余指标的权重按比例放大，使权重之和仍为100%。",
                            "An indicator that does not apply (e.g. urban communities where a county has none) or has no data is left out "
                            "of the score, and the other indicators' weights are scaled up to make 100 % again."),
    "scorecard_incomplete": ("本期仅 {k}/{n} 个县（市、区）已报送：排名仅在已报送的县（市、区）之间，不计名次变化。",
                             "Only {k} of {n} counties have reported this period: they are ranked among themselves, with no change of rank."),
    "sort": ("排序", "Sort by"),
    "new_entry": ("新", "new"),
    # Counties
    "county_vs_city": ("{county}与全市对比，{period}", "{county} against the city, {period}"),
    "histogram_title": ("社区服务用房面积分布，{county}，{period}", "Service premises of the communities, {county}, {period}"),
    "area_axis": ("服务用房面积（平方米）", "Service premises (m²)"),
    "communities_axis": ("社区数（个）", "Communities"),
    "missing_standard": ("未达标社区", "Communities missing a standard"),
    "all_meet": ("全部社区均已达标", "Every community meets the standards"),
    "standard": ("未达标项目", "Standards missed"),
    # Communities
    "community": ("社区", "Community"),
    "township_col": ("乡镇（街道）", "Township / street"),
    "area_std": ("用房达标", "Premises standard"),
    "services_std": ("服务项目达标", "Services standard"),    # not the count's "Service items": two columns
    "grid_std": ("网格化", "Grid"),
    "party_std": ("党组织达标", "Party standard"),
    "unified_std": ("三个统一", "Three unified"),
    "facilities_std": ("设施配齐", "Facilities"),
    "weak": ("薄弱社区", "Weak"),
    "leaders_linked": ("包联领导", "Linked leaders"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "meets": ("✓ 达标", "✓ meets"),
    "misses": ("✗ 未达标", "✗ misses"),
    "rows": ("共 {n} 行", "{n} rows"),
    "page_rows": ("第 {first}–{last} 行，共 {n} 行", "Rows {first}–{last} of {n}"),
    "page_previous": ("上一页", "Previous"),
    "page_next": ("下一页", "Next"),
    "click_hint": ("点击一行查看该社区历年情况及数据来源。", "Click a row to see the community's history and where each value came from."),
    "history_title": ("{community}：历年情况", "{community}: history"),
    "lineage": ("数据来源", "Lineage"),
    # A community's line through registry changes (the history panel).
    "name_then": ("当期名称", "Name then"),
    "names_over_time": ("历用名称：{names}", "Names over time: {names}"),
    "held_between": ("{start}起，{until}以前", "from {start}, before {until}"),
    "held_since": ("{start}起", "since {start}"),
    "held_until": ("{until}以前", "before {until}"),
    "moved": ("{when}由 {before} 调整隶属至 {after}", "Moved from {before} to {after} in {when}"),
    "split_from": ("{when}由 {name} 拆分设立", "Split from {name} in {when}"),
    "merged_from": ("{when}由 {names} 合并设立，原社区历年情况见下", "Merged from {names} in {when}; their histories are below"),
    "went_into_merge": ("{when}并入 {name}", "Merged into {name} in {when}"),
    "went_into_split": ("{when}拆分为 {name}", "Split into {name} in {when}"),
    "predecessor_title": ("合并前：{community}", "Before the merge: {community}"),
    "submission": ("报表编号", "Submission"),
    "file": ("文件", "File"),
    "sheet": ("工作表", "Sheet"),
    "row": ("行", "Row"),
    "status": ("状态", "Status"),
    "unknown_community": ("未找到该社区", "Community not found"),
    # Leaders
    "leaders_title": ("领导包联责任制，{period}", "Leadership responsibility, {period}"),
    "leader": ("领导", "Leader"),
    "level": ("级别", "Level"),
    "all_levels": ("全部级别", "All levels"),
    "prefecture": ("厅级", "Prefecture level"),
    "county_level": ("县级", "County level"),
    "post": ("单位及职务", "Post"),
    "linked": ("包联社区数", "Communities linked"),
    "meets_now": ("现达标", "Meet now"),
    "meets_baseline": ("基期达标", "Met at baseline"),
    "meets_baseline_in": ("基期（{period}）达标", "Met at baseline ({period})"),
    "links": ("包联关系数", "Links"),
    "no_leader_sheet": ("本期报表未附领导包联表，无包联数据", "The returns of this period have no leader sheet: no leader data"),
    "no_leader_sheet_counties": ("未附领导包联表：{counties}。其社区不计入包联统计。",
                                 "No leader sheet from {counties}: their communities are left out of the leader figures."),
    "leader_baseline_note": ("基期（{baseline}）没有领导包联表：“基期达标”按首个有包联数据的时期（{period}）计。",
                             "The baseline ({baseline}) has no leader sheet: \"met at baseline\" is as of the first period with leader data ({period})."),
    "change": ("变化", "Change"),
    "leader_chart_title": ("包联社区达标情况：基期与本期，{period}", "Linked communities meeting the premises standard: baseline and now, {period}"),
    "weak_unlinked": ("无领导包联的薄弱社区", "Weak communities without a leader"),
    "none_found": ("无", "None"),
    "outside_rule": ("包联社区数不在1至3个之间的领导", "Leaders outside the 1–3 rule"),
    # Reporting
    "reporting_title": ("报表报送情况", "Returns received"),
    "warnings": ("报表提示", "Submission warnings"),
    "quality": ("数据质量提示，{period}", "Data-quality flags, {period}"),
    "flag": ("提示", "Flag"),
    "field": ("项目", "Field"),
    "value": ("数值", "Value"),
    "previous": ("上期", "Previous"),
    "flag_fell": ("较上期下降{pct}", "Fell {pct} since the previous period"),
    "flag_threshold": ("面积回落至{standard}标准线以下", "Area fell back below the {standard} standard"),
    # dashboard/quality.py: an outlier against the quartiles of its peers (the county's, or all counties')
    "flag_high": ("偏高：为{peers}上四分位（{quartile}）的{ratio}倍",
                  "High: {ratio} times the upper quartile ({quartile}) of {peers}"),
    "flag_high_zero": ("偏高：{peers}四分之三以上为0", "High: at least three quarters of {peers} report 0"),
    "flag_low": ("偏低：{peers}下四分位（{quartile}）为此值的{ratio}倍",
                 "Low: the lower quartile ({quartile}) of {peers} is {ratio} times this value"),
    "peers_county": ("同县同类社区", "the county's communities of this kind"),
    "peers_kind": ("各县同类社区", "all counties' communities of this kind"),
    "not_received": ("未报送", "Not received"),
    "deadline_row": ("报送截止", "Deadline"),
    "deadline_not_set": ("未设定", "not set"),
    "late": ("逾期", "Late"),
    "late_title": ("首次报送晚于截止日期 {deadline}，或截止后仍未报送", "First submitted after the deadline {deadline}, "
                   "or still missing past it"),
    "status_submitted": ("已报送", "Submitted"),
    "status_approved": ("已审核", "Approved"),
    "status_returned": ("已退回", "Returned"),
    "status_superseded": ("已替换", "Superseded"),
    "uploaded_at": ("报送时间", "Received"),
    "message": ("说明", "Message"),
    "no_flags": ("未发现数据质量问题", "No data-quality flags"),
    "no_warnings": ("无报表提示", "No warnings"),
    "service_area_m2": ("服务用房面积（平方米）", "Service premises (m²)"),
    "service_items": ("服务项目数（项）", "Service items"),
    "facilities": ("设施配置数（项）", "Facilities (of 11)"),
    "staff": ("社区工作者（人）", "Community workers"),
    "trained": ("培训人次", "Training (person-times)"),
    "grid_count": ("网格数（个）", "Grids"),
    # The admin page's registry change sets (dashboard/registry_panel.py, spec/registry.md "How a registry changes")
    "registry_title": ("社区名录变更（区划调整）", "Registry changes (communities renamed, merged, split …)"),
    "registry_intro": ("上传变更文件（CSV 或 xlsx，列：effective_period、change、old_code、new_code、new_name 等），"
                       "系统先试运行检查，确认无误后再点击“应用”。检查不会更改任何数据。",
                       "Upload a change file (CSV or xlsx; columns effective_period, change, old_code, new_code, "
                       "new_name …). It is first checked as a dry run; nothing changes until you click Apply."),
    "registry_drop": ("将变更文件拖到此处，或点击选择文件（CSV / xlsx，不超过 {mb} MB）",
                      "Drop a change file here, or click to choose one (CSV / xlsx, up to {mb} MB)"),
    "registry_not_csv": ("{file}：只接受 .csv 或 .xlsx 格式的变更文件，未作任何更改。",
                         "{file}: only a .csv or .xlsx change file is accepted. Nothing was changed."),
    "registry_too_big": ("{file}：文件为 {size} MB，超过 {mb} MB 的上限，未作任何更改。变更文件通常只有几 KB，请检查是否选错了文件。",
                         "{file}: the file is {size} MB, over the {mb} MB limit. Nothing was changed. A change file "
                         "is usually a few KB: check that it is the right file."),
    "registry_rejected": ("未通过检查：发现 {n} 个错误，整个文件未应用，名录未作任何更改。请按下表逐行修改后重新上传。",
                          "Refused: {n} errors found. The whole file was refused and nothing was changed. Correct "
                          "the rows below and upload the file again."),
    "registry_valid": ("试运行通过（尚未应用）：点击“应用”后，以下变更将一次性生效。",
                       "Dry run passed (not applied yet): click Apply to make the changes below take effect, all at once."),
    "registry_warnings": ("另有 {n} 个提示，请核对。", "There are also {n} warnings: please check them."),
    "registry_apply": ("应用", "Apply"),
    "registry_apply_hint": ("应用后，生效期起的报表按新名录校验和计算，已有报表的相关时期重新计算；操作记入审计日志，不能在本页撤销。",
                            "Once applied, returns from the effective period on are checked and computed over the new "
                            "registry, and periods already reported are recomputed. It is recorded in the audit log "
                            "and cannot be undone on this page."),
    "registry_rows": ("逐行查看变更（{n} 行）", "See the changes row by row ({n} rows)"),
    "registry_kind_of_change": ("变更类型", "Change"),
    "registry_before": ("原社区", "Community before"),
    "registry_after": ("变更后（→ 所属乡镇）", "After (→ township)"),
    "registry_note": ("备注", "Note"),
    "registry_applied": ("已应用：名录已按 {file} 更新，自{effective}起生效。",
                         "Applied: the registry was updated from {file}, in force from {effective}."),
    "registry_apply_failed": ("未应用：{reason}", "Not applied: {reason}"),
    "registry_apply_rejected": ("未应用：名录在试运行后已有变化，文件重新检查时发现 {n} 个错误，未作任何更改。",
                                "Not applied: the registry changed since the dry run and the file now has {n} errors. "
                                "Nothing was changed."),
    "registry_expired": ("试运行已过期或文件无效，请重新上传变更文件。", "The dry run has expired: upload the change file again."),
    "registry_effective": ("生效期", "Effective from"),
    "registry_changes": ("变更（按文件行数）", "Changes (rows of the file)"),
    "registry_recomputed": ("将重新计算的时期", "Periods recomputed"),
    "registry_recomputed_done": ("已重新计算的时期", "Periods recomputed"),
    "registry_no_periods": ("无（该期起尚无报表）", "none (no returns from then on)"),
    "registry_applied_at": ("应用时间", "Applied"),
    "registry_applied_by": ("应用人", "By"),
    "registry_history": ("已应用的变更", "Change sets applied"),
    "registry_none": ("尚未应用过名录变更：各时期均使用初始名录。", "No change set applied yet: every period uses the registry as first set up."),
    "registry_column": ("列", "Column"),
    "registry_rows_total": ("共 {n} 行", "{n} rows"),
    "registry_change_rename": ("更名", "rename"),
    "registry_change_merge": ("合并", "merge"),
    "registry_change_split": ("拆分", "split"),
    "registry_change_new": ("新设", "new"),
    "registry_change_abolish": ("撤销", "abolish"),
    "registry_change_move": ("调整隶属", "move"),
    "registry_col_effective_period": ("生效期", "effective_period"),
    "registry_col_change": ("变更类型", "change"),
    "registry_col_old_code": ("原代码", "old_code"),
    "registry_col_new_code": ("新代码", "new_code"),
    "registry_col_new_name": ("新名称", "new_name"),
    "registry_col_township_code": ("乡镇代码", "township_code"),
    "registry_col_township_name": ("乡镇名称", "township_name"),
    "registry_col_county_code": ("县代码", "county_code"),
    "registry_col_kind": ("社区类型", "kind"),
    "audit_registry-apply": ("应用名录变更", "Registry changes applied"),
    # dcc.Dropdown's own words (its search box, its buttons): Dash writes them in English whatever the page's language
    "dropdown_search": ("搜索", "Search"),
    "dropdown_clear_search": ("清除搜索", "Clear search"),
    "dropdown_clear_selection": ("清除所选", "Clear selection"),
    "dropdown_no_options_found": ("没有匹配的选项", "No options found"),
    "dropdown_select_all": ("全选", "Select all"),
    "dropdown_deselect_all": ("全部取消", "Deselect all"),
    "dropdown_selected_count": ("已选 {num_selected} 项", "{num_selected} selected"),
    # AG Grid's own words in its column filters (localeText)
    "aggrid_filterOoo": ("筛选…", "Filter..."),
    "aggrid_empty": ("请选择", "Choose one"),
    "aggrid_applyFilter": ("应用", "Apply"),
    "aggrid_clearFilter": ("清除", "Clear"),
    "aggrid_resetFilter": ("重置", "Reset"),
    "aggrid_cancelFilter": ("取消", "Cancel"),
    "aggrid_contains": ("包含", "Contains"),
    "aggrid_notContains": ("不包含", "Does not contain"),
    "aggrid_equals": ("等于", "Equals"),
    "aggrid_notEqual": ("不等于", "Does not equal"),
    "aggrid_startsWith": ("开头是", "Begins with"),
    "aggrid_endsWith": ("结尾是", "Ends with"),
    "aggrid_blank": ("空白", "Blank"),
    "aggrid_notBlank": ("非空白", "Not blank"),
    "aggrid_lessThan": ("小于", "Less than"),
    "aggrid_greaterThan": ("大于", "Greater than"),
    "aggrid_lessThanOrEqual": ("小于或等于", "Less than or equal to"),
    "aggrid_greaterThanOrEqual": ("大于或等于", "Greater than or equal to"),
    "aggrid_inRange": ("介于", "Between"),
    "aggrid_inRangeStart": ("从", "From"),
    "aggrid_inRangeEnd": ("到", "To"),
    "aggrid_andCondition": ("且", "AND"),
    "aggrid_orCondition": ("或", "OR"),
    "aggrid_loadingOoo": ("加载中…", "Loading..."),
    "aggrid_noRowsToShow": ("没有可显示的行", "No rows to show"),
    # The briefing's PDF (dashboard/briefing_html.py) and its button on /briefing
    "pdf_download": ("下载PDF", "Download PDF"),
    "pdf_county_links": ("各县（市、区）：", "Counties: "),
    "pdf_failed": ("PDF暂时无法生成，请稍后再试或联系系统管理员。", "The PDF cannot be made just now: try again later or ask the administrator."),
    "pdf_more_rows": ("另有 {n} 行未列出，详见系统相应页面。", "{n} more rows not listed: see the dashboard."),
    "pdf_ranking_ends": ("共 {n} 个县（市、区）：图中为前 {k} 名和后 {k} 名，完整名次见考核表。",
                         "{n} counties: the chart shows the first {k} and the last {k}; the scorecard ranks them all."),
    "pdf_shortfalls": ("各县（市、区）未达标社区数，{period}", "Communities missing a standard, by county, {period}"),
    "pdf_communities": ("社区数", "Communities"),
    "pdf_missing_any": ("未达标社区", "Missing any"),
    "pdf_flag_fell": ("较上期下降", "Fell"),
    "pdf_flag_threshold": ("跌破标准线", "Fell below a standard"),
    "pdf_flag_high": ("偏高", "High"),
    "pdf_flag_low": ("偏低", "Low"),
    "pdf_standing_na": ("不适用", "n/a"),
    "pdf_standing_none": ("无数据", "no data"),
    "pdf_definitions": ("指标定义（简表）", "Indicator definitions (short form)"),
    "pdf_definition": ("定义", "Definition"),
    "pdf_source_line": ("{source}；数据版本：{returns} 份报表，最后变更 {changed}；生成于 {made}。",
                        "{source}; data version: {returns} returns, last changed {changed}; made {made}."),
}


from .i18n_work import WORK_LABELS  # noqa: E402 — the upload, approval, export and login labels

LABELS.update(WORK_LABELS)


def t(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    """The label in the language, with {placeholders} filled."""
    zh, en = LABELS[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def dropdown_labels(lang: str) -> dict[str, str]:
    """dcc.Dropdown(labels=…): its search box and buttons in the page's language."""
    return {key[len("dropdown_"):]: t(key, lang) for key in LABELS if key.startswith("dropdown_")}


def grid_locale(lang: str) -> dict[str, str]:
    """AG Grid's localeText: its filters' words in the page's language."""
    return {key[len("aggrid_"):]: t(key, lang) for key in LABELS if key.startswith("aggrid_")}


def parse_lang(value: object, cookie: str | None = None) -> str:
    """zh or en from the query (or the cookie); Chinese by default."""
    for candidate in (value, cookie):
        if isinstance(candidate, str) and candidate in LANGS:
            return candidate
    return DEFAULT_LANG


def county_name(code: str, name_zh: str | None, lang: str) -> str:
    if lang != "en":
        return name_zh or code
    return county_name_en(code, name_zh) if name_zh else code


def period_label(period: str | None, lang: str) -> str:
    return format_period(period, lang) if period else MISSING


def half_up(value: float, digits: int = 1) -> float:
    """Round as people do (6.35 → 6.4), from the shortest decimal form of the float rather than its binary value."""
    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def fmt_number(value, unit: str) -> str:
    """The number as officials read it: 1,234 / 87.5% / 2,581.1 / 8.2; "—" when missing."""
    if is_missing(value):
        return MISSING
    value = float(value)
    if unit == "pct":
        return f"{_trim(f'{half_up(value):,.1f}')}%"
    if unit == "wan_yuan":
        return f"{half_up(value):,.1f}"
    if unit in ("count", "m2", "person_times"):
        return f"{int(half_up(value, 0)):,}"
    return _trim(f"{half_up(value):,.1f}")


def _trim(text: str) -> str:
    return text[:-2] if text.endswith(".0") else text


def fmt_value(value, unit: str, lang: str) -> str:
    """Number and unit: "127个", "59项", "100%", "2,581.1 万元" (zh) / "127", "59 items", "2,581.1 10k yuan" (en)."""
    text = fmt_number(value, unit)
    label = UNITS[unit][1 if lang == "en" else 0]
    if text == MISSING or unit == "pct" or not label:
        return text
    return f"{text} {label}" if lang == "en" or unit == "wan_yuan" else f"{text}{label}"


def fmt_ratio(ratio) -> str:
    return MISSING if is_missing(ratio) else f"×{half_up(ratio):.1f}"


def fmt_change(before, after, unit: str, ratio=None) -> str:
    """"20 → 127 (×6.4)"; without a ratio when the baseline is 0 or missing."""
    if is_missing(after):
        return MISSING
    text = f"{fmt_number(before, unit)} → {fmt_number(after, unit)}"
    return f"{text} ({fmt_ratio(ratio)})" if not is_missing(ratio) else text


def fmt_signed(value, unit: str) -> str:
    if is_missing(value):
        return MISSING
    text = fmt_number(abs(value), unit)
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else text)
