"""The registry over the years: each community's states (eras) with the periods they held, the changes that ended
them, and the registry in force in any period (spec/registry.md, "How a registry changes").

Pure: etl/store/registry_changes.py reads and writes these; etl/read/changes.py checks a change file before
`apply_changes` turns it into new eras.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

from etl.periods import first_month, in_effect
from etl.registry import City, Community, Registry, Retired

ALWAYS = ""       # an era's valid_from when it held from the start (the registry `shequ init` loaded)
KINDS = ("rename", "merge", "split", "new", "abolish", "move")


@dataclass(frozen=True)
class Era:
    """One state of a community: held from `valid_from` (ALWAYS: from the start) until `valid_until` (None: still)."""

    community: Community
    valid_from: str = ALWAYS
    valid_until: str | None = None

    def holds_in(self, period: str) -> bool:
        return ((self.valid_from == ALWAYS or in_effect(self.valid_from, period))
                and (self.valid_until is None or not in_effect(self.valid_until, period)))


@dataclass(frozen=True)
class Change:
    """One row of a change set, checked: what happened to `old_code` (or where `new_code` came from)."""

    effective: str
    change: str                  # one of KINDS
    old_code: str = ""
    new_code: str = ""
    new_name: str = ""
    township_code: str = ""
    township_name: str = ""
    county_code: str = ""
    kind: str = ""
    note: str = ""
    row: int = 0                 # the change file's row, as a spreadsheet shows it


@dataclass(frozen=True)
class RegistryHistory:
    """Every era and every applied change of a city's registry; `in_force(period)` is that period's registry."""

    city: City
    eras: tuple[Era, ...]
    changes: tuple[Change, ...] = ()
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def in_force(self, period: str) -> Registry:
        registry = self._cache.get(period)
        if registry is None:
            communities = tuple(sorted((e.community for e in self.eras if e.holds_in(period)), key=lambda c: c.code))
            registry = Registry(communities, self.city, self._retired(period, communities), self)
            self._cache[period] = registry
        return registry

    @cached_property
    def _ended(self) -> dict[tuple[str, str], Community]:
        """(code, effective) → the state a change ended."""
        return {(e.community.code, e.valid_until): e.community for e in self.eras if e.valid_until is not None}

    def _retired(self, period: str, in_force: tuple[Community, ...]) -> tuple[Retired, ...]:
        """The codes and names that changes up to the period took out of force, each with its successors in force
        in the period (followed through later changes: renamed in 2016, merged in 2018 → the merged one)."""
        now = {c.code: c for c in in_force}
        done = sorted((c for c in self.changes if c.old_code and in_effect(c.effective, period)),
                      key=lambda c: first_month(c.effective))
        onward: dict[str, list[tuple[str, list[str]]]] = {}     # code → [(effective, new codes)], oldest first
        for c in done:
            steps = onward.setdefault(c.old_code, [])
            if not steps or steps[-1][0] != c.effective:
                steps.append((c.effective, []))
            if c.new_code:
                steps[-1][1].append(c.new_code)

        def successors(code: str, since: str) -> dict[str, Community]:
            if code in now:
                return {code: now[code]}
            later = [step for step in onward.get(code, []) if first_month(step[0]) > first_month(since)]
            if not later:
                return {}
            effective, news = later[0]
            return {k: v for new in news for k, v in successors(new, effective).items()}

        retired, seen = [], set()
        for c in done:
            old = self._ended.get((c.old_code, c.effective))
            if old is None or (c.old_code, c.effective) in seen:
                continue
            seen.add((c.old_code, c.effective))
            after: dict[str, Community] = {}
            for new in next(n for e, n in onward[c.old_code] if e == c.effective):
                after.update(successors(new, c.effective))
            retired.append(Retired(old.code, old.name, old.county_code, c.change, c.effective,
                                   tuple(after.values())))
        return tuple(retired)


def township_kind(township_name: str) -> str:
    """The township rule: a community under a 街道 is urban, any other a township community."""
    return "城市社区" if township_name.endswith(("街道", "街道办事处", "街道办")) else "乡镇社区"


def apply_changes(history: RegistryHistory, changes: list[Change]) -> tuple[Era, ...]:
    """The eras after one change set (all rows of one effective period, checked by etl/read/changes.py)."""
    if not changes:
        return history.eras
    effective = changes[0].effective
    before = history.in_force(effective)
    by_code = before.by_code()
    towns = before.townships()
    counties = before.counties
    eras = list(history.eras)
    closing: set[str] = set()
    opening: dict[str, Community] = {}

    def place_of(c: Change, base: Community) -> Community:
        """`base` where the row puts it: its township (and that township's county and kind) when given."""
        if not c.township_code:
            return replace(base, kind=c.kind or base.kind)
        town_name, town_county, town_kind = towns.get(c.township_code, (c.township_name, c.county_code, ""))
        town_name = c.township_name or town_name
        county = c.county_code or town_county or base.county_code
        kind = c.kind or (town_kind if c.township_code in towns else township_kind(town_name))
        return replace(base, township_code=c.township_code, township_name=town_name, county_code=county,
                       county_name=counties.get(county, base.county_name), kind=kind)

    def state(code: str) -> Community:
        return opening.get(code) or by_code[code]

    for c in changes:
        if c.change in ("rename", "move"):
            old = state(c.old_code)
            new = replace(old, code=c.new_code or c.old_code, name=c.new_name or old.name)
            if c.change == "move":
                new = place_of(c, new)
            closing.add(c.old_code)
            opening[new.code] = new
        elif c.change == "abolish":
            closing.add(c.old_code)
        elif c.change == "merge":
            closing.add(c.old_code)
            base = state(c.new_code) if c.new_code in by_code or c.new_code in opening else by_code[c.old_code]
            merged = replace(base, code=c.new_code, name=c.new_name or base.name)
            opening[c.new_code] = place_of(c, merged)
            if c.new_code in by_code:          # merged into a community that goes on: its state is renewed
                closing.add(c.new_code)
        elif c.change == "split":
            closing.add(c.old_code)
            part = replace(by_code[c.old_code], code=c.new_code, name=c.new_name or by_code[c.old_code].name)
            opening[c.new_code] = place_of(c, part)
        elif c.change == "new":
            county = c.county_code or towns.get(c.township_code, ("", "", ""))[1]
            blank = Community(c.new_code, c.new_name, "", "", county, counties.get(county, ""), "")
            opening[c.new_code] = place_of(c, blank)
    out = []
    for e in eras:
        if e.valid_until is None and e.community.code in closing:
            out.append(replace(e, valid_until=effective))
        else:
            out.append(e)
    out += [Era(community, effective) for community in opening.values()]
    return tuple(out)
