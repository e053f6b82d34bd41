"""Component ids, named once: pages and callbacks refer to these constants."""

URL = "url"                      # the app's Location (refresh="callback-nav": changing it re-renders the page)
URL_QUIET = "url-quiet"          # a second Location that records a selection without re-rendering
QPARAM = "qparam"                # pattern-matching type: {"type": QPARAM, "name": <query parameter>}
LANG_COOKIE = "lang"


def qparam(name: str) -> dict:
    """The id of a control whose value is the query parameter `name`."""
    return {"type": QPARAM, "name": name}


MAP = "overview-map"
RANKING = "overview-ranking"
TREND = "overview-trend"             # pattern {"type": TREND, "indicator": id}
KPI_CARD = "kpi-card"                # pattern {"type": KPI_CARD, "indicator": id}
SCORECARD_TABLE = "scorecard-table"
COUNTY_TRENDS = "county-trends"
COUNTY_HISTOGRAM = "county-histogram"
COUNTY_MISSING = "county-missing"
COMMUNITY_GRID = "community-grid"
COMMUNITY_HISTORY = "community-history"
COMMUNITY_COUNT = "community-count"
LEADER_CHART = "leader-chart"
LEADER_GRID = "leader-grid"
REPORTING_MATRIX = "reporting-matrix"
REPORTING_WARNINGS = "reporting-warnings"
REPORTING_FLAGS = "reporting-flags"
EMPTY_STATE = "empty-state"
PERIOD_BANNER = "period-banner"      # an incomplete period's warning on every page
APP_ERROR = "app-error"              # the message a failed callback shows
BASIS = "basis"                      # query parameter: approved (default) | current (with submitted, provisional)
USER_MENU = "user-menu"
USER_NAME = "user-name"
LOGOUT_CSRF = "logout-csrf"
WHO = "who"                          # the app shell's store: the user's name, role labels and CSRF token
PAGE_LANG = "page-lang"              # a page's language, for what the shell fills into its menu
