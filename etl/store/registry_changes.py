"""Registry change sets in the database: a checked change file applied in one transaction (the eras, the newest
registry, the returns of the periods it touches and their indicators), the change sets listed, and the registry
in force in any period (spec/registry.md)."""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from etl.config import load_settings
from etl.periods import first_month, in_effect, period_sort_key
from etl.read.changes import check_changes
from etl.read.problems import Report, ShequError
from etl.registry import Community, Registry
from etl.registry_history import Change, Era, RegistryHistory, apply_changes
from etl.store import audit
from etl.store.db import (community_era, community_return, leader_link, place, registry_change, registry_change_set,
                          registry_from_db, registry_rows, submission, submission_term, write_transaction)
from etl.store.recompute import backfill_terms, recompute


@dataclass
class ChangeOutcome:
    """What a change file did (or, on a dry run or with errors, would do): its report and one summary a set."""

    file: str
    report: Report
    sets: list[dict] = field(default_factory=list)     # effective, counts by kind, periods recomputed
    applied: bool = False

    @property
    def status(self) -> str:
        return "applied" if self.applied else "valid" if self.report.valid else "rejected"


def history_of(registry: Registry) -> RegistryHistory:
    """The registry's history; for a registry never changed, one era a community, from the start."""
    if isinstance(registry.history, RegistryHistory):
        return registry.history
    return RegistryHistory(registry.city, tuple(Era(c) for c in registry.communities))


def last_effective(conn: Connection) -> str | None:
    row = conn.execute(select(registry_change_set.c.effective_period)
                       .order_by(registry_change_set.c.id.desc()).limit(1)).first()
    return row[0] if row else None


def _periods_with_returns(conn: Connection) -> list[str]:
    return sorted((p for (p,) in conn.execute(select(submission.c.period).distinct())), key=period_sort_key)


def apply_change_file(engine: Engine, content: bytes, file_name: str, applied_by: str, *, dry_run: bool = False,
                      remote_addr: str | None = None) -> ChangeOutcome:
    """Check a change file against the registry in force before each of its change sets; unless it is a dry run
    or has any error, apply every set in one transaction — nothing is half-applied."""
    registry = registry_from_db(engine)
    with engine.connect() as conn:
        applied_last = last_effective(conn)
        periods = _periods_with_returns(conn)
    sets, report = check_changes(content, file_name, registry, load_settings().baseline_period, applied_last)
    outcome = ChangeOutcome(file_name, report)
    outcome.sets = [_summary(changes, periods) for changes in sets]
    if dry_run or not report.valid:
        return outcome
    with write_transaction(engine, serialise_loads=True) as conn:
        if last_effective(conn) != applied_last:           # another change set went in since it was checked
            raise ShequError("另一个变更已在此期间应用，请重新检查后再应用 / another change set was applied "
                             "meanwhile: check the file again and apply it")
        history = history_of(registry)
        for changes, summary in zip(sets, outcome.sets):
            history = _apply_set(conn, history, changes, summary, content, file_name, applied_by)
        _store_eras(conn, history)
        touched = sorted({p for s in outcome.sets for p in s["periods"]}, key=period_sort_key)
        _remap_returns(conn, history, sets, periods)
        if touched:
            recompute(conn, touched)
        audit.record(conn, "registry-apply", applied_by, remote_addr, file=file_name,
                     sets=[{k: s[k] for k in ("effective", "changes")} for s in outcome.sets], periods=touched)
    outcome.applied = True
    return outcome


def _summary(changes: list[Change], periods: list[str]) -> dict:
    effective = changes[0].effective
    return {"effective": effective, "changes": dict(Counter(c.change for c in changes)),
            "rows": len(changes), "periods": [p for p in periods if in_effect(effective, p)]}


def _apply_set(conn: Connection, history: RegistryHistory, changes: list[Change], summary: dict, content: bytes,
               file_name: str, applied_by: str) -> RegistryHistory:
    set_id = conn.execute(insert(registry_change_set).values(
        effective_period=changes[0].effective, file_name=file_name, sha256=hashlib.sha256(content).hexdigest(),
        content=content, applied_by=applied_by, applied_at=datetime.now(timezone.utc),
        summary=json.dumps(summary, ensure_ascii=False))).inserted_primary_key[0]
    conn.execute(insert(registry_change), [
        {"change_set_id": set_id, "source_row": c.row, "change": c.change, "old_code": c.old_code or None,
         "new_code": c.new_code or None, "new_name": c.new_name or None, "township_code": c.township_code or None,
         "township_name": c.township_name or None, "county_code": c.county_code or None, "kind": c.kind or None,
         "note": c.note or None} for c in changes])
    return RegistryHistory(history.city, apply_changes(history, changes), history.changes + tuple(changes))


def _store_eras(conn: Connection, history: RegistryHistory) -> None:
    """Every era, and `place` as the newest registry (what the pages and a new return's template list)."""
    conn.execute(delete(community_era))
    conn.execute(insert(community_era), [
        {"code": e.community.code, "valid_from": e.valid_from, "valid_until": e.valid_until, "name": e.community.name,
         "township_code": e.community.township_code, "township_name": e.community.township_name,
         "county_code": e.community.county_code, "kind": e.community.kind} for e in history.eras])
    newest = Registry(tuple(sorted((e.community for e in history.eras if e.valid_until is None),
                                   key=lambda c: c.code)), history.city)
    names_en = dict(conn.execute(select(place.c.code, place.c.name_en).where(place.c.level.in_(("city", "county")))
                                 ).all())
    conn.execute(delete(place))
    rows = registry_rows(newest)
    for row in rows:                      # the English names the city was set up with stay
        if row["level"] in ("city", "county") and names_en.get(row["code"]):
            row["name_en"] = names_en[row["code"]]
    conn.execute(insert(place), rows)


def _remap_returns(conn: Connection, history: RegistryHistory, sets: list[list[Change]], periods: list[str]) -> None:
    """Rows already loaded for a period a change set touches, of a community renamed or moved in it, become the
    community it is now (its code, name, township and kind) — their indicator terms recomputed."""
    changed: set[int] = set()
    for changes in sets:
        effective = changes[0].effective
        after = history.in_force(effective).by_code()
        touched = [p for p in periods if in_effect(effective, p)]
        if not touched:
            continue
        ids = select(submission.c.id).where(submission.c.period.in_(touched)).scalar_subquery()
        for c in changes:
            if c.change not in ("rename", "move") or c.new_code not in after:
                continue
            now: Community = after[c.new_code]
            rows = conn.execute(update(community_return)
                                .where(community_return.c.community_code == c.old_code,
                                       community_return.c.submission_id.in_(ids))
                                .values(community_code=now.code, community_name=now.name,
                                        township_name=now.township_name, community_kind=now.kind)
                                .returning(community_return.c.submission_id)).scalars().all()
            changed.update(rows)
            if now.code != c.old_code:
                conn.execute(update(leader_link).where(leader_link.c.community_code == c.old_code,
                                                       leader_link.c.submission_id.in_(ids))
                             .values(community_code=now.code))
    if changed:
        conn.execute(delete(submission_term).where(submission_term.c.submission_id.in_(sorted(changed))))
        backfill_terms(conn)


def change_sets(engine: Engine) -> pd.DataFrame:
    """The applied change sets, newest first: when, who, which file, the effective period and a summary."""
    s = registry_change_set
    with engine.connect() as conn:
        rows = conn.execute(select(s.c.id, s.c.effective_period, s.c.applied_at, s.c.applied_by, s.c.file_name,
                                   s.c.summary).order_by(s.c.id.desc())).mappings().all()
    df = pd.DataFrame([dict(r) for r in rows], columns=["id", "effective_period", "applied_at", "applied_by",
                                                        "file_name", "summary"])
    df["summary"] = df["summary"].map(json.loads)
    return df


def has_change_sets(conn: Connection) -> bool:
    return bool(conn.execute(select(func.count()).select_from(registry_change_set)).scalar())


def registry_in_force(engine: Engine, period: str | None = None) -> Registry:
    """The registry in force in the period (the newest without one)."""
    registry = registry_from_db(engine)
    return registry.in_force(period) if period else registry


@dataclass(frozen=True)
class Family:
    """A community's line through the registry's changes: the codes it had before (renamed or moved to a new
    code), its names with the periods each held, the communities merged or split into it, and those it went into.
    `names` are (name, from, until) — from '' meaning from the start, until None meaning still."""

    code: str
    earlier_codes: tuple[str, ...] = ()
    names: tuple[tuple[str, str, str | None], ...] = ()
    merged_from: tuple[tuple[str, str, str], ...] = ()    # (code, name, effective)
    split_from: tuple[tuple[str, str, str], ...] = ()
    went_into: tuple[tuple[str, str, str, str], ...] = ()  # (change, code, name, effective)
    moves: tuple[tuple[str, str, str], ...] = ()           # (township before, township after, effective)


def community_family(engine: Engine, code: str) -> Family:
    """The community's family (one community with its own codes only when the registry never changed)."""
    history = registry_from_db(engine).history
    if not isinstance(history, RegistryHistory):
        return Family(code)
    changes = history.changes
    same, frontier = [code], [code]
    while frontier:          # back through renames and moves that gave a new code: the same community
        current = frontier.pop()
        for c in changes:
            if c.new_code == current and c.change in ("rename", "move") and c.old_code not in same:
                same.append(c.old_code)
                frontier.append(c.old_code)
    ended = {(e.community.code, e.valid_until): e.community.name for e in history.eras if e.valid_until}
    names: list[tuple[str, str, str | None]] = []
    states = sorted((e for e in history.eras if e.community.code in same),
                    key=lambda e: (0, 0) if not e.valid_from else first_month(e.valid_from))
    moves = tuple((a.community.township_name, b.community.township_name, b.valid_from) for a, b in zip(states, states[1:])
                  if a.community.township_code != b.community.township_code)
    for e in states:
        if names and names[-1][0] == e.community.name:          # a move that kept the name: one name still
            names[-1] = (names[-1][0], names[-1][1], e.valid_until)
        else:
            names.append((e.community.name, e.valid_from, e.valid_until))
    joined = lambda kind: tuple((c.old_code, ended.get((c.old_code, c.effective), c.old_code), c.effective)
                                for c in changes if c.change == kind and c.new_code in same
                                and c.old_code not in same)
    went = tuple((c.change, c.new_code, _name_of(history, c.new_code), c.effective) for c in changes
                 if c.old_code in same and c.new_code and c.new_code not in same and c.change in ("merge", "split"))
    return Family(code, tuple(same[1:]), tuple(names), joined("merge"), joined("split"), went, moves)


def _name_of(history: RegistryHistory, code: str) -> str:
    eras = [e for e in history.eras if e.community.code == code]
    return eras[-1].community.name if eras else code
