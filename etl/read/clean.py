"""Cleaning what clerks type: headers to fields, and cell values to numbers, yes/no, codes and choices."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

import numpy as np

from etl.read.marks import INVISIBLE_MARKS
from etl.read.schema import IGNORED_HEADERS, Field

_SPACE = re.compile(f"[\\s{INVISIBLE_MARKS}]+")
_BRACKETED = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")
_QUOTES = str.maketrans("", "", "\"'“”‘’《》「」")
_NUMBER = re.compile(r"^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)$")
_UNITS = ("平方米", "平米", "m2", "m²", "万元", "元", "项", "个", "人次", "人", "次", "平")
_BLANKS = {"", "-", "--", "—", "——", "/", "\\", "n/a", "na", "none", "null", "无数据"}
TRUE_WORDS = {"是", "有", "√", "✓", "✔", "y", "yes", "1", "true", "t", "对", "已", "是的", "达标", "已实行"}
FALSE_WORDS = {"否", "无", "×", "✗", "✘", "x", "n", "no", "0", "false", "f", "不", "未", "没有", "不达标", "未实行"}
_KIND_WORDS = {"城市": "城市社区", "urban": "城市社区", "城镇社区": "城市社区",
               "乡镇": "乡镇社区", "township": "乡镇社区", "农村社区": "乡镇社区", "乡村社区": "乡镇社区"}


class BadValue(ValueError):
    """A cell that does not hold the field's type; `what` names the type for the message ('number', …)."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def squash(text: object) -> str:
    """NFKC (full-width to half-width), no whitespace or invisible marks: the one form names and cells are read in."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(text)))


def text_key(text: object) -> str:
    """squash, in lower case: the form text is compared in (headers, yes/no words, units, registry names)."""
    return squash(text).lower()


def header_key(text: object) -> str:
    return text_key(text).translate(_QUOTES)


def header_key_without_unit(text: object) -> str:
    return _BRACKETED.sub("", header_key(text))


@lru_cache(maxsize=8)
def header_lookup(fields: tuple[Field, ...]) -> dict[str, str]:
    """Every accepted spelling of every header (normalised) → field name."""
    lookup: dict[str, str] = {}
    for f in fields:
        for spelling in (f.header, f.name, f.name.replace("_", " "), f.label_en, *f.synonyms):
            for key in (header_key(spelling), header_key_without_unit(spelling)):
                lookup.setdefault(key, f.name)
    return lookup


def match_header(text: object, fields: tuple[Field, ...]) -> str | None:
    """The field a header cell names, or None."""
    if text is None or text == "":
        return None
    lookup = header_lookup(fields)
    key = header_key(text)
    return lookup.get(key) or lookup.get(_BRACKETED.sub("", key))


def is_ignored_header(text: object) -> bool:
    return header_key_without_unit(text) in IGNORED_HEADERS


def is_blank(value: object) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, float) and value != value:
        return True
    if value.__class__ is not str:
        return False
    text = value.strip()
    # every spelling of "nothing here" is at most 4 characters once trimmed; longer text is never blank
    return not text or (len(text) <= 6 and text_key(text) in _BLANKS)


def to_number(value: object) -> float:
    if isinstance(value, bool):
        raise BadValue("number")
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            raise BadValue("number")
        return float(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        raise BadValue("number")
    s = text_key(value).replace(",", "").replace("，", "")
    for unit in _UNITS:
        if s.endswith(unit):
            s = s[: -len(unit)]
            break
    if not _NUMBER.match(s):
        raise BadValue("number")
    number = float(s)
    if number in (float("inf"), float("-inf")):
        raise BadValue("number")
    return number


def to_int(value: object) -> int:
    number = to_number(value)
    if abs(number - round(number)) > 1e-9:
        raise BadValue("integer")
    return int(round(number))


def to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    s = text_key(value)
    if s in TRUE_WORDS:
        return True
    if s in FALSE_WORDS:
        return False
    raise BadValue("yes/no")


def to_code(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BadValue("code")
    if value.__class__ is str and value.isdigit() and value.isascii():
        return value
    s = squash(value)
    if not s.isdigit() or not s.isascii():
        raise BadValue("code")
    return s


def to_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFC", str(value)).strip()


def to_choice(value: object, choices: tuple[str, ...]) -> str:
    s = text_key(value)
    for choice in choices:
        if text_key(choice) == s:
            return choice
    if s in _KIND_WORDS and _KIND_WORDS[s] in choices:
        return _KIND_WORDS[s]
    raise BadValue("choice")


def clean_value(value: object, f: Field):
    """The cell as the field's Python value; None when blank; BadValue when it cannot be read as the type."""
    if is_blank(value):
        return None
    if f.type == "number":
        return to_number(value)
    if f.type == "int":
        return to_int(value)
    if f.type == "bool":
        return to_bool(value)
    if f.type == "code":
        return to_code(value)
    if f.type == "choice":
        return to_choice(value, f.choices)
    return to_text(value)


def _range_text(f: Field) -> str:
    if f.min is not None and f.max is not None:
        return f"{f.min:g}–{f.max:g}"
    if f.min is not None:
        return f"≥ {f.min:g}"
    return f"≤ {f.max:g}"


def _show(raw) -> str:
    text = str(raw)
    return text if len(text) <= 60 else text[:57] + "…"


def clean_one(raw: object, f: Field) -> tuple[object, tuple[str, str | None, str] | None]:
    """(value, problem): the clean value (None when blank or bad) and (code, value shown, detail) when bad."""
    try:
        value = clean_value(raw, f)
    except BadValue as exc:
        if exc.what == "choice":
            return None, ("not-a-choice", _show(raw), "、".join(f.choices))
        return None, ("wrong-type", _show(raw), exc.what)
    if value is None:
        return None, (("missing-value", None, f.header) if f.required else None)
    if value.__class__ in (int, float) and ((f.min is not None and value < f.min) or
                                           (f.max is not None and value > f.max)):
        return None, ("out-of-range", f"{value:g}", f"{f.header}: {_range_text(f)}")
    return value, None


def _already_clean(value, f: Field):
    """(value, None) for the common cells that cleaning would leave as they are; None when they need a look.

    A code of ASCII digits, or a text longer than any blank spelling with no surrounding space, already in NFC:
    most of a big return's distinct cells, which then skip the general path.
    """
    if value.__class__ is not str:
        return None
    if f.type == "code":
        return (value, None) if value.isdigit() and value.isascii() else None
    if f.type == "text" and len(value) > 6 and not value[0].isspace() and not value[-1].isspace() \
            and unicodedata.is_normalized("NFC", value):
        return value, None
    return None


def _numbers(uniques: list, f: Field) -> list | None:
    """A number column whose distinct cells are all numbers already: checked at once with numpy."""
    if f.type not in ("number", "int") or not uniques or not set(map(type, uniques)) <= {float, int}:
        return None
    values = np.asarray(uniques, dtype=float)
    ok = np.isfinite(values)
    if f.type == "int":
        ok &= np.abs(values - np.round(values)) <= 1e-9
    low = values < f.min if f.min is not None else np.zeros(len(values), dtype=bool)
    high = values > f.max if f.max is not None else np.zeros(len(values), dtype=bool)
    if ok.all() and not low.any() and not high.any():
        if f.type == "int":
            return [(v, None) for v in np.round(values).astype(np.int64).tolist()]
        return [(v, None) for v in values.tolist()]
    return None      # something to report: the general path says exactly what


def _unchanged(distinct: list, f: Field) -> bool:
    """Whether cleaning leaves every distinct cell as it is, checked in C over the whole column at once: codes of
    ASCII digits; texts longer than any blank spelling, trimmed, in NFC (most cells of a big return)."""
    if f.type not in ("code", "text") or not distinct or set(map(type, distinct)) != {str}:
        return False
    if min(map(len, distinct)) <= (0 if f.type == "code" else 6):
        return False
    if f.type == "code":
        digits = "".join(distinct)
        return digits.isdigit() and digits.isascii()
    # a line break composes with nothing, so the joined text is in NFC exactly when every cell is
    return list(map(str.strip, distinct)) == distinct and unicodedata.is_normalized("NFC", "\n".join(distinct))


def clean_column(raw, f: Field) -> tuple[list, list[tuple[int, str, str | None, str]]]:
    """A whole column at once: each distinct cell is cleaned once, then mapped back.

    Returns the clean values and the bad cells as (position, code, value shown, detail).
    """
    distinct = list(dict.fromkeys(raw))          # equal cells once, in C (1 and 1.0 are one, as for pandas)
    if f.type in ("number", "int", "code") and bool in set(map(type, distinct)):
        # True == 1 == 1.0 for hashing, but a yes/no in a number column is not a number: go cell by cell
        results = [clean_one(v, f) for v in raw]
        return [r[0] for r in results], [(k, *r[1]) for k, r in enumerate(results) if r[1]]
    if _unchanged(distinct, f):
        return list(raw), []
    cleaned = _numbers(distinct, f) or [_already_clean(u, f) or clean_one(u, f) for u in distinct]
    out = list(map(dict(zip(distinct, [c[0] for c in cleaned])).__getitem__, raw))
    problems = {u: c[1] for u, c in zip(distinct, cleaned) if c[1]}
    if not problems:
        return out, []
    return out, [(k, *problems[v]) for k, v in enumerate(raw) if v in problems]
