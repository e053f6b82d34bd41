"""Which periods are complete: a period's city figures stand for the city only when every expected county's
return counts on the basis shown. One county's return must never pass for the city (issue 12)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from etl.periods import period_sort_key
from etl.store.db import indicator_value, place, publication, submission
from etl.store.queries import counted_submissions

COMPLETE, INCOMPLETE, PUBLISHED = "complete", "incomplete", "published"


@dataclass(frozen=True)
class PeriodState:
    """One period on one basis: the counties whose return counts, those expected, and whether it was published."""

    period: str
    reported: tuple[str, ...]
    expected: tuple[str, ...]
    published: bool = False

    @property
    def missing(self) -> tuple[str, ...]:
        have = set(self.reported)
        return tuple(c for c in self.expected if c not in have)

    @property
    def complete(self) -> bool:
        """Every expected county counts; a published period is complete by the city's own decision."""
        return self.published or not self.missing

    @property
    def state(self) -> str:
        if self.published:
            return PUBLISHED
        return COMPLETE if self.complete else INCOMPLETE


def period_states(engine: Engine, basis: str = "current") -> list[PeriodState]:
    """Every period that has returns or figures on the basis, oldest first."""
    ids = counted_submissions(basis)
    with engine.connect() as conn:
        expected = tuple(conn.execute(select(place.c.code).where(place.c.level == "county")
                                      .order_by(place.c.code)).scalars())
        counted = conn.execute(select(submission.c.period, submission.c.county_code)
                               .join(ids, ids.c.id == submission.c.id)).all()
        with_values = set(conn.execute(select(indicator_value.c.period).where(indicator_value.c.basis == basis)
                                       .distinct()).scalars())
        published = set(conn.execute(select(publication.c.period).distinct()).scalars())
    reported: dict[str, set[str]] = {p: set() for p in with_values}
    for period, county in counted:
        reported.setdefault(period, set()).add(county)
    return [PeriodState(p, tuple(sorted(reported[p])), expected, p in published)
            for p in sorted(reported, key=period_sort_key)]


def states_frame(engine: Engine) -> pd.DataFrame:
    """Each period on both bases — what `shequ periods` prints: counties expected, reported and the state on
    the current and approved bases, whether published, and the counties with no return at all."""
    by_basis = {basis: {s.period: s for s in period_states(engine, basis)} for basis in ("current", "approved")}
    periods = sorted(set(by_basis["current"]) | set(by_basis["approved"]), key=period_sort_key)
    rows = []
    for p in periods:
        current, approved = by_basis["current"].get(p), by_basis["approved"].get(p)
        known = current or approved
        rows.append({"period": p, "expected": len(known.expected),
                     "reported_current": len(current.reported) if current else 0,
                     "state_current": current.state if current else INCOMPLETE,
                     "reported_approved": len(approved.reported) if approved else 0,
                     "state_approved": approved.state if approved else INCOMPLETE,
                     "published": known.published,
                     "missing": ",".join(current.missing if current else known.expected)})
    return pd.DataFrame(rows, columns=["period", "expected", "reported_current", "state_current", "reported_approved",
                                       "state_approved", "published", "missing"])


def default_period(states: list[PeriodState]) -> str | None:
    """The period pages open on: the latest complete (or published) one; the latest of all when none is."""
    complete = [s.period for s in states if s.complete]
    if complete:
        return complete[-1]
    return states[-1].period if states else None


def previous_complete(states: list[PeriodState]) -> dict[str, str]:
    """period → the latest earlier complete period of the same frequency (years with years, quarters with
    quarters): what a city figure is compared with, so that an incomplete period is never the 'previous' one."""
    out = {}
    for state in states:
        quarterly = "Q" in state.period
        earlier = [s.period for s in states if s.complete and ("Q" in s.period) == quarterly
                   and period_sort_key(s.period) < period_sort_key(state.period)]
        if earlier:
            out[state.period] = earlier[-1]
    return out
