"""Cleaning what clerks type: headers to fields, and cell values to numbers, yes/no, codes and choices."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from .schema import IGNORED_HEADERS, Field

_SPACE = re.compile(r"[\s\u3000\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")
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
    """NFKC (full-width to half-width), no spaces or invisible marks, lower case: the form text is compared in."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(text))).lower()


def header_key(text: object) -> str:
    return squash(text).translate(_QUOTES)


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
    return isinstance(value, str) and squash(value) in _BLANKS


def to_number(value: object) -> float:
    if isinstance(value, bool):
        raise BadValue("number")
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            raise BadValue("number")
        return float(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        raise BadValue("number")
    s = squash(value).replace(",", "").replace("，", "")
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
    s = squash(value)
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
    s = squash(value)
    if not s.isdigit() or not s.isascii():
        raise BadValue("code")
    return s


def to_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFC", str(value)).strip()


def to_choice(value: object, choices: tuple[str, ...]) -> str:
    s = squash(value)
    for choice in choices:
        if squash(choice) == s:
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
