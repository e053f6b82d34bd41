"""Query strings: every view's state lives in the URL, so a link reproduces the view."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode


def parse_search(search: str | None) -> dict[str, str]:
    """'?period=2015&lang=en' → {'period': '2015', 'lang': 'en'} (the last value of a repeated key wins)."""
    return dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=False))


def search_with(search: str | None, name: str, value) -> str:
    """The query string with `name` set to `value` (removed when the value is empty)."""
    query = parse_search(search)
    if value in (None, "", []):
        query.pop(name, None)
    else:
        query[name] = str(value)
    return "?" + urlencode(query) if query else ""


def href(path: str, **query) -> str:
    """A link to `path` carrying the given query parameters (empty ones left out)."""
    kept = {k: str(v) for k, v in query.items() if v not in (None, "")}
    return path + ("?" + urlencode(kept) if kept else "")


def text_param(value) -> str | None:
    """A query value as one string (a repeated parameter gives a list: take the last)."""
    if isinstance(value, list):
        value = value[-1] if value else None
    return value if isinstance(value, str) and value.strip() else None
