"""达标 / On target only when the value meets its target: every indicator, level and period of the sample, on
every card, county table and scorecard cell that shows a standing (issue 12: 94.7 % of 100 % was labelled 达标)."""
from __future__ import annotations

import sys

import pandas as pd
import pytest

from dashboard import data
from dashboard.app import create_app
from etl.config import indicator_map, load_settings
from etl.compute.scorecard import meets

PERIODS = ("2013", "2014", "2015")
COUNTIES = ("450902", "450903", "450921", "450922", "450923", "450924", "450981")


@pytest.fixture(scope="module")
def app(sample_db_url):
    return create_app(sample_db_url, basis="current", secret_key="standings")


def layout(app, page: str, **query) -> dict:
    with app.server.test_request_context("/"):
        return sys.modules[f"dashboard.pages.{page}"].layout(**query).to_plotly_json()


def children(node) -> list:
    if isinstance(node, dict) and "props" in node:
        kids = node["props"].get("children")
    elif hasattr(node, "to_plotly_json"):
        return children(node.to_plotly_json())
    else:
        return []
    kids = kids if isinstance(kids, list) else [kids]
    return [k.to_plotly_json() if hasattr(k, "to_plotly_json") else k for k in kids if k is not None]


def walk(node):
    yield node
    for kid in children(node):
        yield from walk(kid)


def classes(node) -> set[str]:
    return {c for n in walk(node) if isinstance(n, dict) for c in str(n.get("props", {}).get("className", "")).split()}


def text(node) -> str:
    return "".join(n if isinstance(n, str) else str(n) if isinstance(n, (int, float)) else "" for n in walk(node))


def find(node, **props):
    return [n for n in walk(node) if isinstance(n, dict) and all(n.get("props", {}).get(k) == v
                                                                  for k, v in props.items())]


def claims_met(node) -> bool:
    return "standing-met" in classes(node)


def values(app, level: str, period: str) -> pd.DataFrame:
    with app.server.test_request_context("/"):
        return data.values(data.source("current"), level, period)


@pytest.mark.parametrize("period", PERIODS)
def test_kpi_cards_claim_met_only_when_met(app, period):
    city = values(app, "city", period).set_index("indicator")["value"]
    seen = 0
    for page in ("overview", "leaders"):
        for card in (n for n in walk(layout(app, page, period=period)) if isinstance(n, dict)
                     and str(n.get("props", {}).get("id", "")).removeprefix("kpi-") in indicator_map()):
            ind = indicator_map()[card["props"]["id"].removeprefix("kpi-")]
            if ind.target is None:
                assert not claims_met(card)
                continue
            assert claims_met(card) == meets(city.get(ind.id), ind.target, ind.direction), (page, ind.id)
            seen += 1
    # the overview's five targeted cards, and the leaders page's two where the period has leader data
    assert seen == (5 if period == "2013" else 7)


@pytest.mark.parametrize("period", PERIODS)
def test_county_tables_claim_met_only_when_met(app, period):
    by_name = {i.name_zh: i for i in indicator_map().values()}
    county = values(app, "county", period)
    checked = below = 0
    for code in COUNTIES:
        mine = county[county["area_code"] == code].set_index("indicator")["value"]
        page = layout(app, "counties", county=code, period=period)
        table = next(n for n in walk(page) if isinstance(n, dict)
                     and "county-kpis" in str(n.get("props", {}).get("className", "")))
        for row in (n for n in walk(table) if isinstance(n, dict) and n.get("type") == "Tr"):
            cells = children(row)
            ind = by_name.get(text(cells[0]))
            if ind is None or ind.target is None:
                continue
            met = meets(mine.get(ind.id), ind.target, ind.direction)
            assert claims_met(row) == met, (period, code, ind.id, mine.get(ind.id))
            checked += 1
            below += not met
    assert checked >= 7 * 8 and (below > 0 or period == "2015")


@pytest.mark.parametrize("period", PERIODS)
def test_scorecard_cells_claim_met_only_when_met(app, period):
    weights = list(load_settings().weights)
    table = indicator_map()
    county = values(app, "county", period).set_index(["area_code", "indicator"])["value"]
    page = layout(app, "scorecard", period=period)
    near = 0
    for code in COUNTIES:
        row = find(page, id=f"score-row-{code}")[0]
        cells = children(row)[1:1 + len(weights)]
        for ind_id, cell in zip(weights, cells):
            value = county.get((code, ind_id))
            assert claims_met(cell) == meets(value, table[ind_id].target), (period, code, ind_id, value)
            near += "standing-near" in classes(cell)
    if period == "2015":
        assert near > 0        # the sample's 2015 has values within 10 % of their target: the case that was wrong
