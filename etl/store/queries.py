"""Reads of the loaded data as DataFrames — what the CLI, the exports and the dashboard all call."""
from __future__ import annotations

import json
from typing import NamedTuple

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Engine

from etl.config import indicators
from etl.periods import period_sort_key
from etl.store.db import (COMMUNITY_VALUE_FIELDS, community_era, community_return, indicator_value, leader_link, place,
                          registry_change_set, submission)
from etl.store.status import BASIS_STATUSES

BASES = ("current", "approved")


def counted_submissions(basis: str = "current", periods: list[str] | None = None):
    """A subquery of the submission ids that count: the newest of each county and period on the basis."""
    statuses = BASIS_STATUSES[basis]
    # 'any' is only meaningful with explicit submission ids (see _restrict)
    cond = submission.c.status.in_(statuses)
    if periods is not None:
        cond = and_(cond, submission.c.period.in_(periods))
    return (select(func.max(submission.c.id).label("id")).where(cond)
            .group_by(submission.c.county_code, submission.c.period).subquery())


def _restrict(query, basis: str, periods: list[str] | None, submission_ids: list[int] | None):
    """Only the counted submissions of the basis (and periods), or the given submissions (basis 'any')."""
    if submission_ids is not None:
        return query.where(submission.c.id.in_(submission_ids))
    ids = counted_submissions(basis, periods)
    return query.join(ids, ids.c.id == submission.c.id)


def community_rows(conn: Connection | Engine, basis: str = "current", periods: list[str] | None = None,
                   submission_ids: list[int] | None = None, community_code: str | list[str] | None = None,
                   lineage: bool = True) -> pd.DataFrame:
    """The counted community rows with their lineage (submission, file, sheet, row) unless `lineage` is False."""
    s, r = submission, community_return
    # without lineage: what the indicators read, a quarter less to fetch when a whole nation's period is read
    extra = [r.c.submission_id, s.c.file_name, r.c.sheet, r.c.source_row, s.c.status] if lineage else []
    query = (select(s.c.period, s.c.county_code, r.c.community_code, *[r.c[f] for f in COMMUNITY_VALUE_FIELDS],
                    *extra)
             .select_from(r.join(s, s.c.id == r.c.submission_id)))
    if community_code is not None:
        codes = [community_code] if isinstance(community_code, str) else list(community_code)
        query = query.where(r.c.community_code.in_(codes))
    return read_frame(conn, _restrict(query, basis, periods, submission_ids))


def link_rows(conn: Connection | Engine, basis: str = "current", periods: list[str] | None = None,
              submission_ids: list[int] | None = None) -> pd.DataFrame:
    """The counted leader links, with the county of the return they came in."""
    s, k = submission, leader_link
    query = (select(s.c.period, s.c.county_code, k.c.leader_name, k.c.leader_level, k.c.leader_post,
                    k.c.community_code, k.c.submission_id, s.c.file_name, k.c.sheet, k.c.source_row)
             .select_from(k.join(s, s.c.id == k.c.submission_id)))
    return read_frame(conn, _restrict(query, basis, periods, submission_ids))


def read_frame(conn: Connection | Engine, query) -> pd.DataFrame:
    """A query's rows as a DataFrame with its columns (none read: the columns alone), on a connection or engine."""
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return read_frame(c, query)
    result = conn.execute(query)
    keys = list(result.keys())
    rows = result.fetchall()
    if not rows:
        return pd.DataFrame(columns=keys)
    # column by column: handing pandas the Row objects makes it probe each one's attributes (slow at 100k rows)
    return pd.DataFrame({k: list(v) for k, v in zip(keys, zip(*rows))}, columns=keys)


def places(engine: Engine, level: str | None = None) -> pd.DataFrame:
    query = select(place)
    if level:
        query = query.where(place.c.level == level)
    return read_frame(engine, query.order_by(place.c.code))


def indicator_values(engine: Engine, basis: str = "current", period: str | None = None, level: str | None = None,
                     indicator: str | None = None) -> pd.DataFrame:
    """The indicator table with area names: period, level, area_code, area_name, area_name_en, indicator, value.

    City and county values are stored; a community's own values are computed from its counted row when asked.
    """
    iv = indicator_value
    parts = []
    if level != "community":
        query = (select(iv.c.period, iv.c.level, iv.c.area_code, iv.c.indicator, iv.c.value)
                 .where(iv.c.basis == basis))
        if period:
            query = query.where(iv.c.period == period)
        if level:
            query = query.where(iv.c.level == level)
        if indicator:
            query = query.where(iv.c.indicator == indicator)
        parts.append(read_frame(engine, query))
    if level in (None, "community"):
        from etl.compute.indicators import community_values
        with engine.connect() as conn:
            periods = [period] if period else None
            rows = community_rows(conn, basis, periods, lineage=False)
            values = community_values(rows, link_rows(conn, basis, periods))
        if indicator:
            values = values[values["indicator"] == indicator]
        # a community is named as it was in the period (its return's row): 永丰社区 in 2015, 永丰新村社区 after
        named = rows[["period", "community_code", "community_name"]].rename(
            columns={"community_code": "area_code", "community_name": "name_then"})
        parts.append(values[["period", "level", "area_code", "indicator", "value"]].merge(
            named, on=["period", "area_code"], how="left"))
    parts = [p for p in parts if len(p)]
    df = (pd.concat(parts, ignore_index=True) if parts
          else pd.DataFrame(columns=["period", "level", "area_code", "indicator", "value", "name_then"]))
    if "name_then" not in df:
        df["name_then"] = None
    names = place_names(engine, level)    # one level: a county sheet needs 300 names, not 120,000
    then = df.pop("name_then")
    df.insert(3, "area_name", then.where(then.notna(), df["area_code"].map(names["name"])))
    df.insert(4, "area_name_en", df["area_code"].map(names["name_en"]))
    df["value"] = df["value"].astype(float)
    order = {i.id: n for n, i in enumerate(indicators())}     # the indicator table's order, not the database's
    df["_order"] = df["indicator"].map(order)
    return sort_periods(df, ["level", "area_code", "_order"]).drop(columns="_order")


def place_names(engine: Engine, level: str | None = None) -> pd.DataFrame:
    """name and name_en by place code, of one level's places or all."""
    query = select(place.c.code, place.c.name, place.c.name_en)
    if level:
        query = query.where(place.c.level == level)
    names = read_frame(engine, query).set_index("code")
    if level not in (None, "community"):
        return names
    # communities no longer in force (merged, split, abolished, renamed to a new code) keep their last name
    era = community_era
    last = select(era.c.code, era.c.name, func.max(era.c.valid_from).over(partition_by=era.c.code).label("latest"),
                  era.c.valid_from).subquery()
    gone = read_frame(engine, select(last.c.code, last.c.name).where(last.c.valid_from == last.c.latest))
    gone = gone[~gone["code"].isin(names.index)].set_index("code").assign(name_en=None)
    return pd.concat([names, gone]) if len(gone) else names


def sort_periods(df: pd.DataFrame, then: list[str] | None = None) -> pd.DataFrame:
    if df.empty:
        return df.reset_index(drop=True)
    key = df["period"].map({p: period_sort_key(p) for p in df["period"].unique()})   # per period, not per row
    return df.assign(_k=key).sort_values(["_k", *(then or [])], kind="stable").drop(columns="_k").reset_index(drop=True)


def periods(engine: Engine, basis: str = "current") -> list[str]:
    """Periods with indicator values on the basis, oldest first."""
    with engine.connect() as conn:
        found = conn.execute(select(indicator_value.c.period).where(indicator_value.c.basis == basis).distinct())
        return sorted((p for (p,) in found), key=period_sort_key)


def submissions(engine: Engine, county: str | None = None, period: str | None = None,
                with_content: bool = False) -> pd.DataFrame:
    """Every loaded return, newest first, without the file bytes unless asked."""
    cols = [c for c in submission.c if with_content or c.name != "content"]
    query = select(*cols, place.c.name.label("county_name")).select_from(
        submission.outerjoin(place, place.c.code == submission.c.county_code))
    if county:
        query = query.where(submission.c.county_code == county)
    if period:
        query = query.where(submission.c.period == period)
    df = read_frame(engine, query.order_by(submission.c.id.desc()))
    df["warnings"] = df["warnings"].map(lambda w: json.loads(w or "[]"))
    return df


def community_history(engine: Engine, community_code: str | list[str], basis: str = "current") -> pd.DataFrame:
    """One community's counted rows over every period, with where each came from; a list of codes: the rows of
    each (a community and the codes it had before a rename or move, etl/store/registry_changes.py)."""
    with engine.connect() as conn:
        df = community_rows(conn, basis, community_code=community_code)
    return sort_periods(df)


class DataState(NamedTuple):
    """What the loaded data is at a moment: the returns (how many, the newest, the last status change), the
    registry change sets applied, and the city and the size of its registry."""

    returns: int
    last_id: int | None
    last_change: object            # datetime | None
    change_sets: int
    city: str | None
    places: int


def data_state(engine: Engine) -> DataState:
    """One read of the loaded data's state (see data_version)."""
    count = lambda table: select(func.count()).select_from(table).scalar_subquery()
    with engine.connect() as conn:
        row = conn.execute(select(func.count(submission.c.id), func.max(submission.c.id),
                                  func.max(submission.c.status_changed_at), count(registry_change_set),
                                  select(place.c.code).where(place.c.level == "city").limit(1).scalar_subquery(),
                                  count(place))).first()
    return DataState(*row)


def data_version(engine: Engine) -> str:
    """Changes whenever a return is loaded, a status changes, a registry change set is applied, or `shequ init`
    gives the database another city or registry: the key that invalidates cached reads."""
    return ":".join(str(v) for v in data_state(engine))


