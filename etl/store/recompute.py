"""Keeps the stored indicator table equal to what the counted submissions give, period by period.

Community-table indicators are added up from each counted submission's stored term sums (`submission_term`,
written at load), so a recompute reads a few numbers per county, not every community row; leader and reporting
indicators are computed from the counted leader links and submissions. `indicators.compute` over the rows is
the reference it must equal (tests/test_load.py).
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import and_, delete, func, insert, literal, null, select, union_all
from sqlalchemy.engine import Connection

from etl.compute import indicators
from etl.store.db import bulk_insert, indicator_value, leader_link, place, submission, submission_term
from etl.store.queries import BASES, community_rows, counted_submissions, link_rows, read_frame


def city_code(conn: Connection) -> str:
    """The code of the city the database serves (its place table's city row)."""
    return conn.execute(select(place.c.code).where(place.c.level == "city")).scalar() or indicators.CITY_CODE


def expected_counties(conn: Connection) -> list[str]:
    return [c for (c,) in conn.execute(select(place.c.code).where(place.c.level == "county").order_by(place.c.code))]


def store_terms(conn: Connection, submission_id: int, terms: pd.DataFrame) -> None:
    """Record a submission's term sums (one row per community-table indicator)."""
    records = [{"submission_id": submission_id, "indicator": i, "a": float(a), "b": float(b)}
               for i, a, b in terms[["indicator", "a", "b"]].itertuples(index=False)]
    if records:
        conn.execute(insert(submission_term), records)


def backfill_terms(conn: Connection) -> int:
    """Compute the term sums of submissions stored before they were kept (an upgraded database)."""
    have = select(submission_term.c.submission_id).distinct()
    missing = [i for (i,) in conn.execute(select(submission.c.id).where(submission.c.id.not_in(have)))]
    for submission_id in missing:
        rows = community_rows(conn, "any", submission_ids=[submission_id])
        links = link_rows(conn, "any", submission_ids=[submission_id])
        store_terms(conn, submission_id, indicators.community_terms(rows, links))
    return len(missing)


def _counted(conn: Connection, basis: str, periods: list[str]) -> pd.DataFrame:
    ids = counted_submissions(basis, periods)
    query = (select(submission.c.id, submission.c.period, submission.c.county_code)
             .join(ids, ids.c.id == submission.c.id))
    return read_frame(conn, query)


def _terms_of(conn: Connection, counted: pd.DataFrame) -> pd.DataFrame:
    if counted.empty:
        return pd.DataFrame(columns=indicators.TERM_COLUMNS)
    query = select(submission_term).where(submission_term.c.submission_id.in_(counted["id"].tolist()))
    terms = read_frame(conn, query)
    return terms.merge(counted, left_on="submission_id", right_on="id")[indicators.TERM_COLUMNS]


def leader_frames(conn: Connection, basis: str, periods: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The leader frames the leader indicators need, grouped in the database (reading every link back was most
    of a national recompute): per county, how many leaders of each level have each city-wide link count; and
    the same over the distinct leaders of the city. Each row carries that count as its `weight`.

    One statement for both, so that the counted links and each leader's city-wide count are worked out once
    (the database keeps a common table expression used twice): a national recompute's leader part took 2.9-4.0 s
    as two statements, 2.0-2.2 s as one.
    """
    ids = counted_submissions(basis, periods)
    s, k = submission, leader_link
    counted_links = (select(s.c.period, s.c.county_code, k.c.leader_name, k.c.leader_level, k.c.community_code)
                     .select_from(k.join(s, s.c.id == k.c.submission_id).join(ids, ids.c.id == s.c.id))
                     .cte("counted_links"))
    c = counted_links.c
    totals = (select(c.period, c.leader_name, c.leader_level,
                     func.count(func.distinct(c.community_code)).label("links"))
              .group_by(c.period, c.leader_name, c.leader_level).cte("totals"))
    per_county = select(c.period, c.county_code, c.leader_name, c.leader_level).distinct().subquery()
    county_query = (select(literal("county").label("scope"), per_county.c.period, per_county.c.county_code,
                           per_county.c.leader_level.label("level"), totals.c.links, func.count().label("weight"))
                    .join(totals, and_(totals.c.period == per_county.c.period,
                                       totals.c.leader_name == per_county.c.leader_name,
                                       totals.c.leader_level == per_county.c.leader_level))
                    .group_by(per_county.c.period, per_county.c.county_code, per_county.c.leader_level,
                              totals.c.links))
    city_query = (select(literal("city").label("scope"), totals.c.period, null().label("county_code"),
                         totals.c.leader_level.label("level"), totals.c.links, func.count().label("weight"))
                  .group_by(totals.c.period, totals.c.leader_level, totals.c.links))
    both = read_frame(conn, union_all(county_query, city_query))
    county = both[both["scope"] == "county"].drop(columns="scope").reset_index(drop=True)
    city = both[both["scope"] == "city"].drop(columns=["scope", "county_code"]).reset_index(drop=True)
    return county, city


def values_for(conn: Connection, basis: str, periods: list[str], counties: list[str] | None = None
               ) -> pd.DataFrame:
    """The city and county values of the periods on a basis, from the stored terms and links."""
    counties = expected_counties(conn) if counties is None else counties
    counted = _counted(conn, basis, periods)
    reported_periods = sorted(set(counted["period"]))
    county_leaders, city_leaders = leader_frames(conn, basis, periods)
    city = city_code(conn)
    parts = [indicators.values_from_terms(_terms_of(conn, counted), city_code=city),
             indicators.leader_and_reporting_values(county_leaders, counted[["period", "county_code"]],
                                                    counties, reported_periods,
                                                    city_leaders=city_leaders, city_code=city)]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=indicators.RESULT_COLUMNS)


def recompute(conn: Connection, periods: list[str] | None = None, bases: tuple[str, ...] = BASES) -> int:
    """Recompute the bases for the periods (all periods with a submission when None); returns rows written.

    Runs inside the caller's transaction, so a load and its indicators commit together.
    """
    if periods is None:
        periods = [p for (p,) in conn.execute(select(submission.c.period).distinct())]
    written = 0
    counties = expected_counties(conn)      # a scan of the place table: once, not once a basis
    for basis in bases:
        values = values_for(conn, basis, periods, counties)
        conn.execute(delete(indicator_value).where(indicator_value.c.basis == basis,
                                                   indicator_value.c.period.in_(periods)))
        written += bulk_insert(conn, indicator_value, values, indicators.RESULT_COLUMNS, basis=basis)
    return written
