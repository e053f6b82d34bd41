"""Component ids, named once: pages, callbacks and the role guard (auth.CALLBACK_ROLES) refer to these constants.

The strings are a contract with the browser tests (tests/browser/*.py find elements by them) and with
assets/app.css: change a constant's name freely, its string only with them.
"""

# --- The app shell: what every page shares ---
URL = "url"                      # the app's Location (refresh="callback-nav": changing it re-renders the page)
URL_QUIET = "url-quiet"          # a second Location that records a selection without re-rendering
QPARAM = "qparam"                # pattern-matching type: {"type": QPARAM, "name": <query parameter>}
LANG_COOKIE = "lang"             # the cookie (not a component) that remembers the language
APP_ERROR = "app-error"          # the message a failed callback shows
WHO = "who"                      # the app shell's store: the user's name, role labels and CSRF token
PAGE_LANG = "page-lang"          # a page's language, for what the shell fills into its menu
PERIOD_BANNER = "period-banner"  # an incomplete period's warning on every page
EMPTY_STATE = "empty-state"
BASIS = "basis"                  # query parameter: approved (default) | current (with submitted, provisional)
LANG_TOGGLE = "lang-toggle"
USER_MENU = "user-menu"
USER_NAME = "user-name"
LOGOUT_BUTTON = "logout-button"
LOGOUT_CSRF = "logout-csrf"
FORBIDDEN = "forbidden"          # what a page shows a role that may not use it
STANDING_LEGEND = "standing-legend"
KPI_GRID = "kpi-grid"
KPI_CARD = "kpi-card"            # pattern {"type": KPI_CARD, "indicator": id}
# Dash Pages' own components: the routing callback fills the page into these.
PAGES_CONTENT = "_pages_content"
PAGES_STORE = "_pages_store"


def qparam(name: str) -> dict:
    """The id of a control whose value is the query parameter `name`."""
    return {"type": QPARAM, "name": name}


def nav(path: str) -> str:
    """The navigation link to a page: nav-overview for "/", nav-scorecard for "/scorecard"."""
    return f"nav-{path.strip('/') or 'overview'}"


def kpi(indicator_id: str) -> str:
    """The city's card of one indicator (kpi-area_ge_500)."""
    return f"kpi-{indicator_id}"


# --- 总览 Overview, 简报 Briefing ---
MAP = "overview-map"
RANKING = "overview-ranking"
TREND = "overview-trend"             # pattern {"type": TREND, "indicator": id}
AWAITING_NOTICE = "awaiting-notice"  # returns waiting for the city's approval
BRIEFING_MAP = "briefing-map"
BRIEFING_PDF = "briefing-pdf"

# --- 考核 Scorecard ---
SCORECARD_TABLE = "scorecard-table"
SCORECARD_PAGER = "scorecard-pager"
SCORECARD_NA_NOTE = "scorecard-na-note"          # what 不适用 means
SCORECARD_INCOMPLETE = "scorecard-incomplete"    # an incomplete period has no city standing


def score_row(area_code: str) -> str:
    """A county's (or the city's) row of the scorecard."""
    return f"score-row-{area_code}"


# --- 县区 Counties ---
COUNTY_TRENDS = "county-trends"      # pattern {"type": COUNTY_TRENDS, "indicator": id}
COUNTY_HISTOGRAM = "county-histogram"
COUNTY_MISSING = "county-missing"
COUNTY_MISSING_PAGER = "county-missing-pager"

# --- 社区 Communities ---
COMMUNITY_GRID = "community-grid"
COMMUNITY_HISTORY = "community-history"
COMMUNITY_COUNT = "community-count"
COMMUNITIES_LANG = "communities-lang"
COMMUNITIES_EXPORT = "communities-export"        # the CSV button
COMMUNITIES_DOWNLOAD = "communities-download"

# --- 包联 Leaders ---
LEADER_CHART = "leader-chart"
LEADER_GRID = "leader-grid"
LEADER_BASELINE_NOTE = "leader-baseline-note"
NO_LEADER_DATA = "no-leader-data"
NO_LEADER_SHEET_COUNTIES = "no-leader-sheet-counties"    # counties whose return has no leader sheet
WEAK_UNLINKED = "weak-unlinked"                  # weak communities no leader is linked to
WEAK_UNLINKED_PAGER = "weak-unlinked-pager"
OUTSIDE_RULE = "outside-rule"                    # leaders linked to more communities than the rule allows
OUTSIDE_RULE_PAGER = "outside-rule-pager"

# --- 报送 Reporting ---
REPORTING_MATRIX = "reporting-matrix"
REPORTING_MATRIX_PAGER = "reporting-matrix-pager"
REPORTING_WARNINGS = "reporting-warnings"
REPORTING_WARNINGS_PAGER = "reporting-warnings-pager"
REPORTING_FLAGS = "reporting-flags"
REPORTING_FLAGS_PAGER = "reporting-flags-pager"


def deadline(period: str) -> str:
    """The reporting matrix's deadline of a period."""
    return f"reporting-deadline-{period}"


def reported(period: str) -> str:
    """A period's completeness at the foot of the reporting matrix (✓ 7/7 完整)."""
    return f"reported-{period}"


# --- 导出 Export ---
EXPORT_PERIODS = "export-periods"
EXPORT_LEVELS = "export-levels"
EXPORT_INDICATORS = "export-indicators"
EXPORT_FORMAT = "export-format"
EXPORT_BUTTON = "export-button"
EXPORT_DOWNLOAD = "export-download"
EXPORT_BASIS = "export-basis"        # the basis the page was drawn with, for the export to use the same
EXPORT_MESSAGE = "export-message"
EXPORT_LANG = "export-lang"

# --- 上传报表 Upload ---
UPLOAD_FILES = "upload-files"
UPLOAD_RESULTS = "upload-results"                # each dropped file's dry run
UPLOAD_PROGRESS = "upload-progress"
UPLOAD_TOO_BIG = "upload-too-big"    # the files the browser held back as over the limit (assets/upload_limit.js)
UPLOAD_TOO_BIG_MESSAGE = "upload-too-big-message"
UPLOAD_LIMIT = "upload-limit"
UPLOAD_LANG = "upload-lang"
UPLOAD_TEMPLATE_COUNTY = "upload-template-county"
UPLOAD_TEMPLATE_PERIOD = "upload-template-period"
UPLOAD_TEMPLATE_BUTTON = "upload-template-button"
UPLOAD_TEMPLATE_DOWNLOAD = "upload-template-download"
UPLOAD_SUBMIT = "upload-submit"                  # pattern {"type": UPLOAD_SUBMIT, "token": t}: a file's Submit
UPLOAD_SUBMIT_PROGRESS = "upload-submit-progress"    # pattern {"type": …, "token": t}
UPLOAD_OUTCOME = "upload-outcome"                # pattern {"type": UPLOAD_OUTCOME, "token": t}
UPLOAD_MY_RETURNS = "upload-my-returns"          # the county's returns (every county's for an admin)
UPLOAD_DROPPED = "upload-dropped"                # the accepted files of the last drop: [{file, token}] (no bytes)
UPLOAD_REFUSED = "upload-refused"                # the files of a drop the server refused (too many, too big, not .xlsx)
UPLOAD_QUEUE = "upload-queue"                    # "queued: n ahead" while a check waits its turn

# --- 审核 Admin: registry change sets (dashboard/registry_panel.py) ---
REGISTRY_UPLOAD = "registry-upload"              # the change file's drop zone
REGISTRY_RESULT = "registry-result"              # the dry run (problems, or the sets it would apply), then the outcome
REGISTRY_TOKEN = "registry-token"                # the server-side token of the file the dry run passed (no bytes)
REGISTRY_APPLY = "registry-apply"                # 应用 / Apply
REGISTRY_APPLY_BAR = "registry-apply-bar"        # Apply and what it does: shown only under a dry run that passed
REGISTRY_SETS = "registry-sets"                  # the change sets applied, newest first

# --- 审核 Admin ---
ADMIN_LANG = "admin-lang"
ADMIN_SUBMISSIONS = "admin-submissions"          # the returns table
ADMIN_PICK = "admin-submission"                  # the returns chosen to approve or send back
ADMIN_COMMENT = "admin-comment"
ADMIN_APPROVE = "admin-approve"
ADMIN_RETURN = "admin-return"                    # send back
ADMIN_MESSAGE = "admin-message"
ADMIN_APPROVE_PERIOD = "admin-approve-period"
ADMIN_APPROVE_ALL = "admin-approve-all"          # approve every return of the period awaiting approval
ADMIN_CONFIRM = "admin-confirm"                  # the confirmation every approval goes through
ADMIN_PENDING = "admin-pending"                  # what the confirmation, once given, approves
ADMIN_PUBLISH_PERIOD = "admin-publish-period"
ADMIN_PUBLISH = "admin-publish"
ADMIN_PUBLISH_MESSAGE = "admin-publish-message"
ADMIN_PUBLICATIONS = "admin-publications"
ADMIN_USERS = "admin-users"
ADMIN_NEW_NAME = "admin-new-username"
ADMIN_NEW_PASSWORD = "admin-new-password"
ADMIN_NEW_ROLE = "admin-new-role"
ADMIN_NEW_COUNTY = "admin-new-county"
ADMIN_NEW_EMAIL = "admin-new-email"
ADMIN_ADD_USER = "admin-add-user"
ADMIN_USER_PICK = "admin-user-pick"
ADMIN_DISABLE = "admin-disable"
ADMIN_ENABLE = "admin-enable"
ADMIN_END_SESSIONS = "admin-end-sessions"        # end every session of the chosen user (a lost laptop)
ADMIN_USER_MESSAGE = "admin-user-message"
ADMIN_USER_EMAIL = "admin-user-email"            # the chosen user's e-mail, filled in when a user is chosen
ADMIN_SET_EMAIL = "admin-set-email"
ADMIN_AUDIT = "admin-audit"
