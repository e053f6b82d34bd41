"""The community registry (master data): a city's counties, townships and communities (Yulin's 184 by default)."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

from etl.read.clean import text_key


@dataclass(frozen=True)
class City:
    """The city a database serves: its 6-digit code and its names."""

    code: str
    name: str
    name_en: str


# The default city's data: the demo, and a new database given no other.
DEFAULT_CITY = City("450900", "玉林市", "Yulin City")

# English names the city office chose; any other place is romanised (etl/names_en.py).
COUNTY_NAMES_EN = {
    "450902": "Yuzhou District", "450903": "Fumian District", "450921": "Rong County",
    "450922": "Luchuan County", "450923": "Bobai County", "450924": "Xingye County", "450981": "Beiliu City",
}


def county_name_en(code: str, name_zh: str) -> str:
    """A county's English name: the chosen one ("Beiliu City"), else its name romanised ("Wanxiu District")."""
    from etl.names_en import romanise
    return COUNTY_NAMES_EN.get(code) or romanise(name_zh)


_COMMUNITY_SUFFIXES = ("社区居民委员会", "居民委员会", "社区居委会", "居委会", "社区")
_TOWNSHIP_SUFFIXES = ("街道办事处", "街道办", "街道", "镇人民政府", "镇", "乡")


def community_key(name: str) -> str:
    """The core of a community name: 永丰社区居委会, 永丰社区 and 永丰居民委员会 all give 永丰."""
    s = text_key(name)
    for suffix in _COMMUNITY_SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            return s[: -len(suffix)]
    return s


def township_key(name: str) -> str:
    """The core of a township name: 城南街道 and 城南 both give 城南."""
    s = text_key(name)
    for suffix in _TOWNSHIP_SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            return s[: -len(suffix)]
    return s


# Suggestions for an unknown name: how many, and how alike (rapidfuzz's ratio of the cores, 0–100) a name must be.
# At 50 a two-character core with one character wrong (陵凝 → 陵宁) is still suggested; a name sharing nothing is
# not. (WRatio, which also tries partial matches, adds noise such as 大风 → 大坡外圩 and is 25 times slower.)
SUGGESTIONS = 3
SIMILAR_SCORE = 50


@dataclass(frozen=True)
class Community:
    code: str
    name: str
    township_code: str
    township_name: str
    county_code: str
    county_name: str
    kind: str  # 城市社区 | 乡镇社区


@dataclass(frozen=True)
class Retired:
    """A community no longer in force under this code or name in a period, and what became of it: a return that
    names it is read as its one successor (renamed or moved) or told what it became (merged, split, abolished)."""

    code: str
    name: str
    county_code: str
    change: str                          # rename | move | merge | split | abolish
    effective: str                       # from when
    successors: tuple[Community, ...]    # in force in the period: one (rename, move, merge), several (split), none


@dataclass(frozen=True)
class Registry:
    """Lookup tables over the registry rows; immutable, cheap to pass to a worker process.

    `history` (etl/registry_history.py) holds the registry's earlier states when change sets were applied:
    `in_force(period)` is the registry a return of that period is validated against, its `retired` the codes and
    names no longer in force then.
    """

    communities: tuple[Community, ...]
    city: City = DEFAULT_CITY
    retired: tuple[Retired, ...] = ()
    history: object = None               # RegistryHistory | None

    def in_force(self, period: str) -> "Registry":
        """The registry in force in the period (this one when the registry never changed)."""
        return self if self.history is None else self.history.in_force(period)

    @cached_property
    def _retired_codes(self) -> dict[str, Retired]:
        return {r.code: r for r in self.retired if not any(s.code == r.code for s in r.successors)}

    @cached_property
    def _retired_names(self) -> dict[tuple[str, str], Retired]:
        return {(r.county_code, community_key(r.name)): r for r in self.retired}

    def retired_code(self, code: str) -> Retired | None:
        """What became of a code no longer in force (None for a code in force or never known)."""
        return self._retired_codes.get(code)

    def retired_name(self, name: str, county_code: str) -> Retired | None:
        """What became of a community of the county known by this name before (永丰社区, renamed 永丰新村社区)."""
        return self._retired_names.get((county_code, community_key(name)))

    @cached_property
    def counties(self) -> dict[str, str]:
        return {c.county_code: c.county_name for c in self.communities}

    @cached_property
    def _county_keys(self) -> dict[str, str]:
        return {text_key(name): code for code, name in self.counties.items()}

    @cached_property
    def _by_code(self) -> dict[str, Community]:
        return {c.code: c for c in self.communities}

    @cached_property
    def _by_county(self) -> dict[str, list[Community]]:
        out: dict[str, list[Community]] = {}
        for c in self.communities:
            out.setdefault(c.county_code, []).append(c)
        return out

    @cached_property
    def _by_key(self) -> dict[str, list[Community]]:
        out: dict[str, list[Community]] = {}
        for c in self.communities:
            out.setdefault(community_key(c.name), []).append(c)
        return out

    def __reduce__(self):
        # Pickled by columns of plain strings (a worker process gets the registry): ten times cheaper than
        # pickling 100,000 Community objects one by one.
        fields = ("code", "name", "township_code", "township_name", "county_code", "county_name", "kind")
        return _registry_from_columns, (self.city, self.retired, self.history,
                                        *(tuple(getattr(c, f) for c in self.communities) for f in fields))

    def named(self, name: str) -> list[Community]:
        """Communities whose name has the same core as `name` (永丰社区 finds 永丰社区居委会), anywhere."""
        return self._by_key.get(community_key(name), [])

    def county_code_for(self, text: str) -> str | None:
        """A county from its code or its name (北流, 北流市, 450981)."""
        s = text_key(text)
        if s in self.counties:
            return s
        for key, code in self._county_keys.items():
            if s == key or (len(s) >= 2 and key.startswith(s) and len(key) - len(s) == 1):
                return code
        return None

    def by_code(self) -> dict[str, Community]:
        return self._by_code

    @cached_property
    def _suggested(self) -> dict[tuple[str, str], list[Community]]:
        return {}

    def similar(self, name: str, county_code: str, limit: int = SUGGESTIONS) -> list[Community]:
        """Up to `limit` communities of the county whose name is most like `name` (永丰居委 → 永丰社区居委会), the
        likeliest first; none when nothing is close. Compared on the cores of the names."""
        key = (county_code, community_key(name))
        found = self._suggested.get(key)
        if found is None:
            if len(self._suggested) >= 10_000:     # a return full of unknown names: bounded, never slow
                self._suggested.clear()
            found = self._suggested[key] = _most_like(key[1], self.in_county(county_code),
                                                      self._cores_by_county.get(county_code, []), limit)
        return found

    @cached_property
    def _cores_by_county(self) -> dict[str, list[str]]:
        return {county: [community_key(c.name) for c in cs] for county, cs in self._by_county.items()}

    def in_county(self, county_code: str) -> list[Community]:
        return self._by_county.get(county_code, [])

    def townships(self) -> dict[str, tuple[str, str, str]]:
        """township code → (name, county code, kind)."""
        return {c.township_code: (c.township_name, c.county_code, c.kind) for c in self.communities}


def _most_like(core: str, communities: list[Community], cores: list[str], limit: int) -> list[Community]:
    # rapidfuzz only here: the isolated parse's child imports this module and has no use for it.
    from rapidfuzz import fuzz, process
    best = process.extract(core, cores, scorer=fuzz.ratio, limit=limit, score_cutoff=SIMILAR_SCORE)
    return [communities[i] for _, _, i in best]


def _registry_from_columns(city: City, retired: tuple, history, *columns) -> "Registry":
    return Registry(tuple(map(Community, *columns)), city, retired, history)


def _read_rows(path: Path | None) -> list[dict[str, str]]:
    if path is None:
        text = resources.files("etl").joinpath("data", "yulin_communities.csv").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(text.splitlines()))


REGISTRY_COLUMNS = ("county_code", "county_name", "township_code", "township_name", "township_kind",
                    "community_code", "community_name")


def load_registry_csv(path: Path | None = None, city: City = DEFAULT_CITY) -> Registry:
    """The city's registry from a CSV with the columns of the shipped file (the shipped one, Yulin's, by default)."""
    rows = _read_rows(path)
    if not rows or set(REGISTRY_COLUMNS) - set(rows[0]):
        raise ValueError(f"registry CSV must have the columns {', '.join(REGISTRY_COLUMNS)}")
    kinds = {"street": "城市社区", "town": "乡镇社区"}
    return Registry(tuple(
        Community(r["community_code"].strip(), r["community_name"].strip(), r["township_code"].strip(),
                  r["township_name"].strip(), r["county_code"].strip(), r["county_name"].strip(),
                  kinds[r["township_kind"].strip()])
        for r in rows), city)


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    return load_registry_csv()
