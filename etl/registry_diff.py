"""A draft change file from two editions of a registry: renames, moves, new and abolished codes, and the merges and
splits that the names suggest, for a person to confirm (spec/registry.md, "New national codes")."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from etl.read.problems import ShequError
from etl.registry import DEFAULT_CITY, City, Community, Registry, community_key, load_registry_csv

CHANGE_COLUMNS = ["effective_period", "change", "old_code", "new_code", "new_name", "township_code",
                  "township_name", "county_code", "kind", "note"]
# The order of a draft: what keeps its code first, then what the names link, then what stands alone.
_ORDER = {"rename": 0, "move": 1, "merge": 2, "split": 3, "new": 4, "abolish": 5}


def read_newer(path: str | Path, city: City = DEFAULT_CITY) -> Registry:
    """The newer edition from a CSV with the shipped registry's columns; a clear error for one that is not."""
    try:
        return load_registry_csv(Path(path), city)
    except (ValueError, KeyError, UnicodeDecodeError, OSError) as exc:
        reason = f"no township_kind {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ShequError(f"无法读取新的区划代码文件 {path}：{reason} / cannot read the newer registry {path}: "
                         f"{reason}") from None


def _row(change: str, old: Community | None, new: Community | None, *, where: bool, note: str = "") -> dict:
    """One draft row; `where`: the community's township, county and kind after, filled in."""
    return {"effective_period": "", "change": change, "old_code": old.code if old else "",
            "new_code": new.code if new else "", "new_name": new.name if new and change != "move" else "",
            "township_code": new.township_code if where else "", "township_name": new.township_name if where else "",
            "county_code": new.county_code if where else "", "kind": new.kind if where else "", "note": note}


def _lives_on(old: Community, new: Community) -> bool:
    """Whether an abolished community's name lives on in a new one of the same county (新松 in 新松东, or 新松新兴)."""
    a, b = community_key(old.name), community_key(new.name)
    return old.county_code == new.county_code and min(len(a), len(b)) >= 2 and (a in b or b in a)


def diff_registries(in_force: Registry, newer: Registry) -> pd.DataFrame:
    """The draft change file that takes `in_force` to `newer`, effective_period left for a person to fill."""
    before, after = in_force.by_code(), newer.by_code()
    rows = []
    for code in sorted(before.keys() & after.keys()):
        old, new = before[code], after[code]
        if old.name != new.name:
            rows.append(_row("rename", old, new, where=False))
        if (old.township_code, old.county_code, old.kind) != (new.township_code, new.county_code, new.kind):
            rows.append(_row("move", old, new, where=True))
    gone = [before[c] for c in sorted(before.keys() - after.keys())]
    added = [after[c] for c in sorted(after.keys() - before.keys())]
    links = [(old, new) for old in gone for new in added if _lives_on(old, new)]
    successors: dict[str, list[Community]] = {}
    predecessors: dict[str, list[Community]] = {}
    for old, new in links:
        successors.setdefault(old.code, []).append(new)
        predecessors.setdefault(new.code, []).append(old)
    for old, new in links:
        into, out_of = predecessors[new.code], successors[old.code]
        if len(out_of) > 1:
            change, note = "split", f"proposed: split of {old.name} into {'、'.join(c.name for c in out_of)}"
        elif len(into) > 1:
            change, note = "merge", f"proposed: merge of {'、'.join(c.name for c in into)} into {new.name}"
        else:
            change, note = "rename", f"proposed: {old.name} under a new code, as {new.name}"
        if len(out_of) > 1 and len(into) > 1:
            note += f" (also merged with {'、'.join(c.name for c in into if c is not old)}: check)"
        rows.append(_row(change, old, new, where=True, note=note))
    rows += [_row("new", None, new, where=True) for new in added if new.code not in predecessors]
    rows += [_row("abolish", old, None, where=False) for old in gone if old.code not in successors]
    rows.sort(key=lambda r: (_ORDER[r["change"]], r["old_code"] or r["new_code"], r["new_code"]))
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def write_changes(changes: pd.DataFrame, path: str | Path) -> None:
    """The draft as a CSV in UTF-8 with a BOM, which Excel opens with its Chinese intact."""
    changes.to_csv(path, index=False, encoding="utf-8-sig")
