"""One text normaliser for what clerks type: `squash` (NFKC, no whitespace or invisible marks) and `text_key`
(the same in lower case, for comparing). The registry once had its own, which kept invisible marks and case: a county
pasted with a zero-width space or a byte-order mark (`--county`) was no county, and a name with one
no community. (Cells of a workbook reach them already cleaned of such marks by the reader.)"""
from __future__ import annotations

import pytest

from etl.read.clean import match_header, squash, text_key, to_bool, to_code, to_number
from etl.registry import community_key, default_registry, township_key
from etl.read.schema import COMMUNITY_FIELDS

REGISTRY = default_registry()


@pytest.mark.parametrize("text, squashed", [
    ("永丰 社区", "永丰社区"),
    ("永丰\u3000社区\n", "永丰社区"),                     # ideographic space, line break
    ("ＡＢＣ　１２３", "ABC123"),                         # full-width to half-width; case kept
    ("永丰\u200b社区", "永丰社区"),                       # zero-width space
    ("\ufeff北流市", "北流市"),                           # byte-order mark
    ("\u202a北流市\u202c", "北流市"),                     # left-to-right embedding … pop
    ("\u2066北流\u2069市", "北流市"),                     # isolates
    ("永\u200d丰\u200c社\u200e区\u200f", "永丰社区"),     # joiners, direction marks
    ("社\u00ad区\u2060", "社区"),                         # soft hyphen, word joiner
    ("北\u061c流\u2063市\ufffa", "北流市"),               # Arabic letter mark, invisible separator, annotation
    ("北流\x00市\x1b", "北流市"),                         # control characters
    ("Yes", "Yes"),
])
def test_squash(text, squashed):
    assert squash(text) == squashed


@pytest.mark.parametrize("text, key", [("Yes", "yes"), ("ＴＯＴＡＬ", "total"), ("\u200bM2", "m2"), ("永丰社区", "永丰社区")])
def test_text_key_is_squash_in_lower_case(text, key):
    assert text_key(text) == key


@pytest.mark.parametrize("name, key", [
    ("永丰社区居委会", "永丰"),
    ("永丰\u200b社区", "永丰"),              # the registry's own normaliser kept the mark: 永丰\u200b
    ("\ufeff永丰社区居民委员会", "永丰"),
    ("Ａ区社区", "a区"),                     # keys are compared: case folded
])
def test_community_keys_ignore_invisible_marks_and_case(name, key):
    assert community_key(name) == key


def test_township_keys_ignore_invisible_marks():
    assert township_key("城南\u200b街道") == township_key("城南街道") == "城南"


@pytest.mark.parametrize("text", ["北流市", "北流", "450981", "\ufeff北流市", "北流\u200b市", " 北 流 ", "４５０９８１"])
def test_a_county_from_its_name_or_code_however_pasted(text):
    assert REGISTRY.county_code_for(text) == "450981"


def test_a_county_name_with_latin_letters_is_found_in_any_case():
    from etl.registry import Community, Registry
    registry = Registry((Community("X01", "c", "T01", "t", "900001", "Test County", "城市社区"),))
    assert registry.county_code_for("test county") == registry.county_code_for("TEST\u200bCOUNTY") == "900001"


def test_values_are_read_through_the_same_normaliser():
    assert match_header("社区\u200b名称", COMMUNITY_FIELDS) == "community_name"
    assert to_bool("\u200bＹＥＳ") is True
    assert to_number("1,200\u200bM2") == 1200
    assert to_code("\ufeff４５０９８１") == "450981"
