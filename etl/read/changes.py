"""A registry change file (CSV or xlsx, spec/registry.md "How a registry changes"): read, and every row checked
against the registry in force before it — problems by row in Chinese and English, as for a return. A file with
any error is refused whole (etl/store/registry_changes.py applies only a clean one)."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict

from etl.periods import first_month, format_effective, parse_effective
from etl.read.problems import Report
from etl.registry import Registry
from etl.registry_history import KINDS, Change, RegistryHistory, apply_changes

COLUMNS = ("effective_period", "change", "old_code", "new_code", "new_name", "township_code", "township_name",
           "county_code", "kind", "note")
REQUIRED = ("effective_period", "change", "old_code", "new_code")
# Headers a city may write in Chinese.
HEADER_ALIASES = {"生效期": "effective_period", "生效时间": "effective_period", "变更类型": "change", "变更": "change",
                  "原代码": "old_code", "新代码": "new_code", "新名称": "new_name", "乡镇代码": "township_code",
                  "街道代码": "township_code", "乡镇名称": "township_name", "街道名称": "township_name",
                  "县代码": "county_code", "县（市、区）代码": "county_code", "类型": "kind", "社区类型": "kind",
                  "备注": "note", "说明": "note"}
CHANGE_WORDS = {"更名": "rename", "合并": "merge", "拆分": "split", "新设": "new", "新增": "new", "撤销": "abolish",
                "调整隶属": "move", "隶属调整": "move", "迁移": "move"}
KIND_WORDS = {"城市社区": "城市社区", "乡镇社区": "乡镇社区", "urban": "城市社区", "township": "乡镇社区"}
KINDS_SHOWN = "rename、merge、split、new、abolish、move（更名、合并、拆分、新设、撤销、调整隶属）"
_CODE = re.compile(r"^\d{12}$")
NAME_LENGTH = 64                  # a name's column width in the database (place, community_era)
FORMULA_STARTS = "=+-@"           # a name a spreadsheet would run as a formula when the registry is exported
# What each kind of change needs filled in.
NEEDS = {"rename": ("old_code", "new_name"), "merge": ("old_code", "new_code"), "split": ("old_code", "new_code"),
         "new": ("new_code", "new_name"), "abolish": ("old_code",), "move": ("old_code", "township_code")}


def _cell(value) -> str:
    """A cell as text: full-width digits and spaces folded, a code Excel made a number (4.509e11) whole again."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def read_rows(content: bytes, file_name: str, report: Report) -> list[tuple[int, dict[str, str]]]:
    """The file's rows as (spreadsheet row, {column: text}); problems (unreadable, missing columns) reported."""
    table = _xlsx_rows(content, report) if content[:2] == b"PK" else _csv_rows(content, report)
    if not table:
        if report.valid:
            report.add("change-empty")
        return []
    header_at = next((i for i, row in enumerate(table[:10]) if _headers(row).count(None) < len(row) - 1), 0)
    names = _headers(table[header_at])
    missing = [c for c in REQUIRED if c not in names]
    for column in missing:
        report.add("missing-column", row=header_at + 1, detail=column)
    if missing:
        return []
    rows = []
    for i, row in enumerate(table[header_at + 1:], start=header_at + 2):
        values = {name: _cell(row[j]) if j < len(row) else "" for j, name in enumerate(names) if name}
        if any(values.values()):
            rows.append((i, values))
    if not rows:
        report.add("change-empty")
    return rows


def _headers(row: list) -> list[str | None]:
    out = []
    for cell in row:
        text = _cell(cell).lstrip("\ufeff")
        key = text.lower().replace(" ", "_")
        out.append(key if key in COLUMNS else HEADER_ALIASES.get(text))
    return out


def _csv_rows(content: bytes, report: Report) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.add("change-unreadable", detail="不是UTF-8编码的CSV / not a UTF-8 CSV")
        return []
    return [row for row in csv.reader(io.StringIO(text))]


def _xlsx_rows(content: bytes, report: Report) -> list[list]:
    from etl.read.safety import UnreadableWorkbook, check_workbook
    from etl.read.workbook import read_sheets
    try:
        check_workbook(content, 20 * 2**20)
        sheets = read_sheets(content)
    except UnreadableWorkbook as exc:
        report.add(exc.code, detail=exc.detail)
        return []
    visible = [s for s in sheets if not s.hidden] or sheets
    return visible[0].rows if visible else []


def check_changes(content: bytes, file_name: str, registry: Registry, baseline: str,
                  last_applied: str | None = None) -> tuple[list[list[Change]], Report]:
    """The change sets of a file (one per effective period, oldest first) and its report; the sets are only
    to be applied when the report has no error. `registry` is the newest registry (with its history)."""
    report = Report(file_name)
    parsed = []
    for row, values in read_rows(content, file_name, report):
        change = _change_row(row, values, report, baseline, last_applied)
        if change is not None:
            parsed.append(change)
    by_period: dict[str, list[Change]] = defaultdict(list)
    for change in parsed:
        by_period[change.effective].append(change)
    sets = [by_period[p] for p in sorted(by_period, key=first_month)]
    history = registry.history if isinstance(registry.history, RegistryHistory) else None
    for changes in sets:
        before = history.in_force(changes[0].effective) if history else registry
        _check_set(changes, before, report)
        if history is not None and report.valid:   # the next set is checked against this one's result
            history = RegistryHistory(history.city, apply_changes(history, changes), history.changes + tuple(changes))
    return sets, report


def _change_row(row: int, values: dict[str, str], report: Report, baseline: str,
                last_applied: str | None) -> Change | None:
    ok = True
    effective = parse_effective(values.get("effective_period"))
    if effective is None:
        report.add("change-bad-period", row=row, column="effective_period",
                   value=values.get("effective_period") or "（空）")
        ok = False
    elif first_month(effective) < first_month(baseline):
        report.add("change-before-baseline", row=row, column="effective_period", value=effective, detail=baseline)
        ok = False
    elif last_applied and first_month(effective) <= first_month(last_applied):
        report.add("change-not-after-applied", row=row, column="effective_period", value=effective,
                   detail=last_applied)
        ok = False
    word = values.get("change", "")
    change = CHANGE_WORDS.get(word) or (word.lower() if word.lower() in KINDS else None)
    if change is None:
        report.add("change-unknown-kind", row=row, column="change", value=word or "（空）", detail=KINDS_SHOWN)
        return None
    for column in ("old_code", "new_code", "township_code", "county_code"):
        code = values.get(column, "")
        width = 6 if column == "county_code" else 9 if column == "township_code" else 12
        if code and not re.fullmatch(rf"\d{{{width}}}", code) and not (width == 9 and _CODE.match(code)):
            report.add("change-bad-code", row=row, column=column, value=code, detail=str(width))
            ok = False
    for column in NEEDS[change]:
        if not values.get(column):
            report.add("change-needs", row=row, column=column, value=change, detail=column)
            ok = False
    if change == "abolish" and values.get("new_code"):
        report.add("change-abolish-successor", row=row, column="new_code", value=values["new_code"])
        ok = False
    for column in ("new_name", "township_name"):
        name = values.get(column, "")
        if name and (len(name) > NAME_LENGTH or name[0] in FORMULA_STARTS or any(c in name for c in "<>\"")):
            shown = name if len(name) <= NAME_LENGTH else name[:NAME_LENGTH] + "…"
            report.add("change-bad-name", row=row, column=column, value=shown, detail=str(NAME_LENGTH))
            ok = False
    kind = values.get("kind", "")
    if kind and kind not in KIND_WORDS:
        report.add("not-a-choice", row=row, column="kind", value=kind, detail="城市社区、乡镇社区")
        ok = False
    if not ok:
        return None
    new_code = values.get("new_code", "")
    if change in ("rename", "move") and not new_code:
        new_code = values["old_code"]
    return Change(effective, change, values.get("old_code", "") if change != "new" else "", new_code,
                  values.get("new_name", ""), values.get("township_code", ""), values.get("township_name", ""),
                  values.get("county_code", ""), KIND_WORDS.get(kind, ""), values.get("note", ""), row)


def _check_set(changes: list[Change], before: Registry, report: Report) -> None:
    """One effective period's rows against the registry in force before it."""
    effective = changes[0].effective
    when, when_en = format_effective(effective, "zh"), format_effective(effective, "en")
    known = before.by_code()
    counties = before.counties
    towns = before.townships()
    olds: dict[str, list[Change]] = defaultdict(list)
    news: dict[str, list[Change]] = defaultdict(list)
    for c in changes:
        if c.old_code:
            olds[c.old_code].append(c)
        if c.new_code and c.new_code != c.old_code:
            news[c.new_code].append(c)
        if c.old_code and c.old_code not in known:
            report.add("change-unknown-code", row=c.row, column="old_code", value=c.old_code, detail=when,
                       detail_en=when_en)
        if c.county_code and c.county_code not in counties:
            report.add("change-unknown-county", row=c.row, column="county_code", value=c.county_code)
        if c.township_code and c.township_code not in towns and not (c.township_name and c.county_code):
            report.add("change-new-township", row=c.row, column="township_name", value=c.township_code)
    for code, rows in olds.items():
        kinds = {c.change for c in rows}
        if len(rows) > 1 and not (kinds == {"split"} or kinds <= {"rename", "move"} or kinds == {"merge"}):
            for c in rows[1:]:
                report.add("change-twice", row=c.row, column="old_code", value=code, detail=str(rows[0].row))
        if kinds == {"split"} and len(rows) < 2:
            report.add("change-split-one", row=rows[0].row, column="old_code", value=code)
        if kinds == {"merge"} and len(rows) > 1:
            report.add("change-twice", row=rows[1].row, column="old_code", value=code, detail=str(rows[0].row))
    for code, rows in news.items():
        kinds = {c.change for c in rows}
        if code in known and not kinds <= {"merge"}:
            report.add("change-code-exists", row=rows[0].row, column="new_code", value=code, detail=known[code].name)
        elif len(rows) > 1 and kinds != {"merge"}:
            for c in rows[1:]:
                report.add("change-twice", row=c.row, column="new_code", value=code, detail=str(rows[0].row))
        if kinds == {"merge"} and code not in known and not any(c.new_name for c in rows):
            report.add("change-needs", row=rows[0].row, column="new_name", value="merge", detail="new_name")
    _check_merges(changes, known, report)


def _check_merges(changes: list[Change], known: dict, report: Report) -> None:
    """A merge joins communities of one county (into an existing one of that county, or a new one)."""
    groups: dict[str, list[Change]] = defaultdict(list)
    for c in changes:
        if c.change == "merge":
            groups[c.new_code].append(c)
    for code, rows in groups.items():
        members = [known[c.old_code] for c in rows if c.old_code in known]
        if code in known:
            members.append(known[code])
        target_county = next((c.county_code for c in rows if c.county_code), None)
        counties = {m.county_code for m in members} | ({target_county} if target_county else set())
        if len(counties) > 1:
            names = "、".join(sorted({f"{m.name}（{m.county_name}）" for m in members}))
            for c in rows:
                report.add("change-merge-counties", row=c.row, column="new_code", value=code, detail=names)
