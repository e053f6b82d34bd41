"""Property-based tests of value cleaning and header matching (hypothesis): what clerks type, in every spelling."""
from __future__ import annotations

import math

from hypothesis import given, settings, strategies as st

from etl.read.clean import BadValue, clean_value, match_header, to_bool, to_number
from etl.files.export import neutralise
from etl.read.schema import COMMUNITY_FIELDS, LEADER_FIELDS

FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")
UNITS = ["", "平方米", "㎡", "m2", " 平方米", "万元", "项", "个", "人"]


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(UNITS), st.booleans(), st.booleans(),
       st.sampled_from(["", " ", "\u3000", "  "]))
def test_integers_survive_separators_full_width_units_and_spaces(n, unit, commas, full_width, pad):
    text = f"{n:,}" if commas else str(n)
    if full_width:
        text = text.translate(FULL_WIDTH)
    assert to_number(f"{pad}{text}{unit}{pad}") == n


@given(st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False), st.sampled_from(UNITS))
def test_decimals_round_trip_through_text(x, unit):
    assert math.isclose(to_number(f"{x!r}{unit}"), x, rel_tol=1e-12, abs_tol=1e-12)


@given(st.text(max_size=30))
def test_cleaning_any_text_either_gives_a_value_or_a_bad_value(text):
    for field in COMMUNITY_FIELDS:
        try:
            value = clean_value(text, field)
        except BadValue:
            continue
        assert value is None or isinstance(value, (str, float, int, bool))
        if isinstance(value, float):
            assert math.isfinite(value)


SPACES = st.lists(st.sampled_from(["", " ", "\u3000", "\t"]), min_size=1, max_size=3).map("".join)


def respell(header: str, draw_space: str, half_width: bool, drop_unit: bool) -> str:
    text = header
    if drop_unit and "（" in text:
        text = text[: text.index("（")]
    if half_width:
        text = text.replace("（", "(").replace("）", ")")
    return draw_space.join(text) if draw_space else text


@given(st.sampled_from(COMMUNITY_FIELDS + LEADER_FIELDS), SPACES, st.booleans(), st.booleans())
def test_every_header_is_recognised_however_it_is_spaced_bracketed_or_unit_less(field, space, half_width, drop):
    fields = COMMUNITY_FIELDS if field in COMMUNITY_FIELDS else LEADER_FIELDS
    assert match_header(respell(field.header, space, half_width, drop), fields) == field.name


@given(st.sampled_from(COMMUNITY_FIELDS), st.sampled_from([0, 1]), SPACES)
def test_every_synonym_is_recognised(field, pick, space):
    spellings = (field.header, *field.synonyms)
    spelling = spellings[pick % len(spellings)]
    assert match_header(f"{space}{spelling}{space}", COMMUNITY_FIELDS) == field.name


@given(st.sampled_from(["是", "有", "√", "✓", "Y", "yes", "TRUE", "1"]), st.sampled_from(["否", "无", "×", "✗", "N", "no",
                                                                                     "FALSE", "0"]), SPACES)
def test_yes_and_no_in_any_spelling(yes, no, pad):
    assert to_bool(f"{pad}{yes}{pad}") is True and to_bool(f"{pad}{no.lower()}{pad}") is False


@settings(max_examples=200)
@given(st.sampled_from(["=", "+", "-", "@", "\t", "\r"]), st.text(max_size=20))
def test_formula_prefixes_are_neutralised_in_csv(prefix, rest):
    assert neutralise(prefix + rest).startswith("'")


@given(st.text(max_size=20).filter(lambda s: not s.startswith(("=", "+", "-", "@", "\t", "\r", "\n"))))
def test_other_text_is_left_alone(text):
    assert neutralise(text) == text
