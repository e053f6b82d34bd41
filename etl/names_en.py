"""English names of places the city office has not named: a Chinese name romanised (万秀区 → Wanxiu District)."""
from __future__ import annotations

import re
from functools import lru_cache

# The level a name ends with, longest first: 自治县 before 县, 林区 before 区.
SUFFIXES = (
    ("自治县", "Autonomous County"), ("自治旗", "Autonomous Banner"), ("自治州", "Autonomous Prefecture"),
    ("林区", "Forestry District"), ("特区", "Special District"), ("地区", "Prefecture"),
    ("县", "County"), ("市", "City"), ("区", "District"), ("旗", "Banner"), ("盟", "League"),
    ("街道", "Subdistrict"), ("镇", "Town"), ("乡", "Township"),
)
# The peoples an autonomous county is named after (恭城瑶族自治县 → Gongcheng Yao Autonomous County).
PEOPLES = ("壮", "瑶", "苗", "侗", "仫佬", "毛南", "回", "彝", "土家", "蒙古", "满", "朝鲜", "藏", "维吾尔", "哈萨克",
           "黎", "畲", "傣", "布依", "水", "白", "哈尼", "傈僳", "纳西", "拉祜", "佤", "景颇", "羌", "土", "撒拉",
           "保安", "东乡", "裕固", "达斡尔", "鄂温克", "鄂伦春", "锡伯", "仡佬", "独龙", "怒", "普米", "各")
_PEOPLE = "|".join(sorted(PEOPLES, key=len, reverse=True))
_PEOPLES = re.compile(f"(?:(?:{_PEOPLE})族)+$")


def pinyin_word(text: str) -> str:
    """Chinese as one pinyin word without tones, capitalised, an apostrophe before a vowel syllable: Chang'an."""
    from pypinyin import Style, lazy_pinyin
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors="default")
    word = "".join(s if n == 0 or s[:1] not in "aoe" else "'" + s for n, s in enumerate(syllables))
    return word[:1].upper() + word[1:]


@lru_cache(maxsize=4096)
def romanise(name: str) -> str:
    """A place's English name from its Chinese one: 梧州市 → Wuzhou City, 蒙山县 → Mengshan County."""
    name = name.strip()
    for suffix, level in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem, words = name[: -len(suffix)], [level]
            if suffix.startswith("自治"):
                peoples = _PEOPLES.search(stem)
                if peoples and peoples.start() > 0:
                    stem = stem[: peoples.start()]
                    words.insert(0, " ".join("Multi-ethnic" if p == "各" else pinyin_word(p)
                                             for p in re.findall(f"({_PEOPLE})族", peoples.group(0))))
            return " ".join([pinyin_word(stem), *words])
    return pinyin_word(name) if name else name
