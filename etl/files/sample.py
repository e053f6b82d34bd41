"""The deterministic sample returns: each county × 2013–2015 (Yulin's 7; any city's), true figures in a model,
written as clerks write.

The model (`build_sample`) is made first and holds the true values; `write_returns` then renders each county's
return in that county's clerk style (etl/files/xlsx_writer.py), exercising the variations the reader must accept
(shared/spec/returns.md). `generate_returns` takes any registry and periods, so a benchmark can make bigger ones.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from etl.files.template import add_validations, write_notes_sheet
from etl.files.xlsx_writer import (Column, Formats, Formula, community_title, leader_title, open_workbook, write_header,
                                   write_notes, write_rows, write_title_block, write_totals)
from etl.periods import format_period
from etl.read import schema
from etl.registry import DEFAULT_CITY, City, Community, Registry, default_registry

SEED = 20151231
PERIODS = ("2013", "2014", "2015")
SIZE = 184  # the registry size the city-level targets below are stated for; other sizes scale them


@dataclass(frozen=True)
class Targets:
    """City-level figures the sample reproduces exactly: (baseline, last period) at SIZE communities."""

    area_ge_500: tuple[int, int] = (20, 127)
    area_ge_1000: tuple[int, int] = (6, 50)
    area_ge_300_baseline: int = 62
    services_mean_baseline: float = 12.0
    weak: int = 80
    leaders_prefecture: int = 36
    leaders_county: int = 156


@dataclass
class Sample:
    """The true values: one row per community and period, one row per leader–community link and period."""

    communities: pd.DataFrame
    links: pd.DataFrame
    periods: tuple[str, ...]
    registry: Registry = field(repr=False)


def _scale(count: float, n: int) -> int:
    return int(round(count * n / SIZE))


def _progress(t: float, a: float = 1.0) -> float:
    """0 at the baseline, 1 in the last period, rising in between."""
    return t ** a


def _pick(order: list[int], keep: set[int], k: int) -> set[int]:
    """`keep` plus the first of `order` (not in keep) until there are k."""
    chosen = set(keep)
    for i in order:
        if len(chosen) >= k:
            break
        chosen.add(i)
    return chosen


def _area_buckets(rng: random.Random, comms: list[Community], score: list[float], ts: list[float],
                  tg: Targets) -> list[list[int]]:
    """Per period, each community's area class: 0 <300, 1 300–499, 2 500–999, 3 ≥1000; nested over time."""
    n = len(comms)
    urban = {i for i, c in enumerate(comms) if c.kind == schema.KIND_URBAN}
    by_score = sorted(range(n), key=lambda i: -score[i])
    noisy = sorted(range(n), key=lambda i: -(score[i] + rng.uniform(0, 0.4)))
    k1000 = (_scale(tg.area_ge_1000[0], n), _scale(tg.area_ge_1000[1], n))
    k500 = (_scale(tg.area_ge_500[0], n), max(len(urban), _scale(tg.area_ge_500[1], n)))
    k300 = (_scale(tg.area_ge_300_baseline, n), n)
    s1000_f = _pick(by_score, set(), k1000[1])
    s500_f = _pick(by_score, s1000_f | urban, k500[1])
    s1000_0 = _pick([i for i in noisy if i in s1000_f], set(), k1000[0])
    s500_0 = _pick([i for i in noisy if i in s500_f], s1000_0, k500[0])
    s300_0 = _pick(noisy, s500_0, k300[0])
    buckets, prev = [], (s1000_0, s500_0, s300_0)
    for t in ts:  # each period keeps the previous period's sets: premises do not shrink
        kt = [round(lo + (hi - lo) * _progress(t)) for lo, hi in (k1000, k500, k300)]
        s1000 = _pick([i for i in noisy if i in s1000_f], prev[0], kt[0])
        s500 = _pick([i for i in noisy if i in s500_f], prev[1] | s1000, kt[1])
        s300 = _pick(noisy, prev[2] | s500, kt[2])
        prev = (s1000, s500, s300)
        buckets.append([3 if i in s1000 else 2 if i in s500 else 1 if i in s300 else 0 for i in range(n)])
    return buckets


AREA_RANGES = {3: (1000, 2400), 2: (500, 990), 1: (300, 495), 0: (60, 290)}


def _areas(rng: random.Random, buckets: list[list[int]], score: list[float]) -> list[list[int]]:
    """Areas per period within each class, never shrinking from one period to the next."""
    n = len(buckets[0])
    areas = [[0] * n for _ in buckets]
    for i in range(n):
        lo, hi = AREA_RANGES[buckets[-1][i]]
        areas[-1][i] = round(lo + (hi - lo) * min(1.0, rng.random() * 0.6 + score[i] / 3))
        for p in range(len(buckets) - 2, -1, -1):
            lo, hi = AREA_RANGES[buckets[p][i]]
            if buckets[p][i] == buckets[p + 1][i]:
                areas[p][i] = max(lo, round(areas[p + 1][i] * rng.uniform(0.85, 1.0)))
            else:
                areas[p][i] = rng.randint(lo, hi)
    return areas


def _services_baseline(rng: random.Random, comms: list[Community], share: dict[str, float], mean: float) -> list[int]:
    """Baseline service items, summing exactly to mean × n."""
    base = [max(1, min(40, round(8 + 6 * (c.kind == schema.KIND_URBAN) + 5 * share[c.county_code]
                                 + rng.randint(-5, 7)))) for c in comms]
    target = round(mean * len(comms))
    while sum(base) != target:
        i = rng.randrange(len(base))
        step = 1 if sum(base) < target else -1
        if 1 <= base[i] + step <= 40:
            base[i] += step
    return base


def _bools(rng: random.Random, n: int, ts: list[float], p0: float, pf: float, a: float) -> list[list[bool]]:
    """A yes/no that once yes stays yes: share p0 at the baseline, pf in the last period."""
    u = [rng.random() for _ in range(n)]
    return [[u[i] < p0 + (pf - p0) * _progress(t, a) for i in range(n)] for t in ts]


def _between(lo: float, hi: float, t: float, a: float) -> float:
    return lo + (hi - lo) * _progress(t, a)


def _community_rows(rng: random.Random, comms: list[Community], periods: tuple[str, ...], tg: Targets) -> pd.DataFrame:
    n = len(comms)
    ts = [i / (len(periods) - 1) if len(periods) > 1 else 1.0 for i in range(len(periods))]
    county_sizes: dict[str, int] = {}
    for c in comms:
        county_sizes[c.county_code] = county_sizes.get(c.county_code, 0) + 1
    share = {k: sum(c.kind == schema.KIND_URBAN for c in comms if c.county_code == k) / v
             for k, v in county_sizes.items()}
    score = [rng.random() + 0.6 * (c.kind == schema.KIND_URBAN) + 0.6 * share[c.county_code] for c in comms]
    areas = _areas(rng, _area_buckets(rng, comms, score, ts, tg), score)
    services0 = _services_baseline(rng, comms, share, tg.services_mean_baseline)
    grid = _bools(rng, n, ts, 0.3, 1.0, 0.8)
    party = _bools(rng, n, ts, 0.2, 0.97, 0.8)
    site, function, sign = (_bools(rng, n, ts, p0, pf, 1.0) for p0, pf in ((0.25, 0.98), (0.15, 0.96), (0.3, 1.0)))
    weak_order = sorted(range(n), key=lambda i: score[i] + rng.uniform(0, 0.8))
    weak = set(weak_order[:_scale(tg.weak, n)])
    rows = []
    for i, c in enumerate(comms):
        urban = c.kind == schema.KIND_URBAN
        a = rng.uniform(0.8, 1.6)
        fac0, fac_f = rng.randint(1, 5) + urban, (11 if rng.random() < 0.9 else rng.randint(8, 10))
        fac_done = rng.uniform(0.3, 1.0)  # when the community completes its facilities
        grids = rng.randint(3, 10) if urban else rng.randint(1, 5)
        modes = ((2, 2, 2, 1, 3) if urban else (3, 3, 4, 1, 0.3))
        mode, mode_u = rng.choices(schema.BUILD_MODES, weights=modes)[0], rng.random()
        fiscal, party_fee, donation = rng.uniform(8, 30) + 10 * urban, rng.uniform(0.5, 3), rng.uniform(0, 6)
        staff0 = rng.randint(3, 7) + 2 * urban
        staff_f = min(15, staff0 + rng.randint(2, 6))
        trained0, trained_f = rng.randint(0, 12), rng.randint(30, 90) + 20 * urban
        for p, (period, t) in enumerate(zip(periods, ts)):
            rows.append({
                "period": period, "county_code": c.county_code,
                "county": c.county_name, "township": c.township_name, "community_code": c.code,
                "community_name": c.name, "community_kind": c.kind,
                "service_area_m2": areas[p][i],
                "service_items": round(_between(services0[i], 59, t, a)),
                "facilities": fac_f if t >= fac_done else round(_between(fac0, fac_f, t, 1.0)),
                "grid_managed": grid[p][i], "grid_count": grids if grid[p][i] else 0,
                "party_org_standard": party[p][i],
                "unified_site": site[p][i], "unified_function": function[p][i], "unified_sign": sign[p][i],
                "build_mode": mode if mode_u < 0.95 * _progress(t, 0.7) else None,
                "fund_fiscal": round(fiscal * (0.1 + 0.9 * t), 1),  # fiscal grows fastest: "一主两辅"
                "fund_party_fee": round(party_fee * (0.3 + 0.7 * _progress(t, 0.5)), 1),
                "fund_donation": round(donation * (0.2 + 0.8 * _progress(t, 0.5)), 1),
                "staff": round(_between(staff0, staff_f, t, 1.0)),
                "trained": round(_between(trained0, trained_f, t, 0.9)),
                "weak": i in weak,
            })
    return pd.DataFrame(rows)


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁沈姚卢钟姜崔谭陆范汪廖石韦覃莫庞黎"
GIVEN = "伟芳敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂华建国志文海斌宁波红玉兰春荣生德林峰东雪梅晓松琳思远光辉少雄"
CITY_POSTS = (
    "市委书记", "市委副书记、市长", "市人大常委会主任", "市政协主席", "市委副书记", "市委常委、常务副市长",
    "市委常委、组织部部长", "市委常委、宣传部部长", "市委常委、政法委书记", "市委常委、纪委书记", "市委常委、秘书长",
    "市委常委、统战部部长", "市委常委、副市长", "副市长", "副市长", "副市长", "副市长", "市人大常委会副主任",
    "市人大常委会副主任", "市人大常委会副主任", "市人大常委会副主任", "市政协副主席", "市政协副主席", "市政协副主席",
    "市政协副主席", "市中级人民法院院长", "市人民检察院检察长", "市政府秘书长", "市人大常委会秘书长",
    "市政协秘书长", "市委副秘书长", "市政府副秘书长", "市政府副秘书长", "市委组织部常务副部长", "市民政局局长",
    "市委宣传部常务副部长",
)
COUNTY_POSTS = ("{p}委书记", "{p}委副书记、{p}长", "{p}人大常委会主任", "{p}政协主席", "{p}委副书记",
                "{p}委常委、组织部部长", "{p}委常委、宣传部部长", "{p}委常委、政法委书记", "{p}委常委、纪委书记",
                "{p}委常委、办公室主任", "{p}委常委、常务副{p}长", "{p}委常委、统战部部长", "{p}委常委、武装部部长")
COUNTY_POSTS_MORE = ("副{p}长", "{p}人大常委会副主任", "{p}政协副主席", "{p}人民法院院长", "{p}人民检察院检察长")


def _names(rng: random.Random, k: int) -> list[str]:
    """k distinct, plausible Chinese names."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < k:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _county_posts(county_name: str, k: int) -> list[str]:
    p = county_name[-1]  # 县 / 区 / 市: 县委书记, 区长, 副市长 …
    posts = [t.format(p=p) for t in COUNTY_POSTS]
    posts += [COUNTY_POSTS_MORE[i % len(COUNTY_POSTS_MORE)].format(p=p) for i in range(max(0, k - len(posts)))]
    return posts[:k]


def _allocate(total: int, sizes: dict[str, int]) -> dict[str, int]:
    """County-level leaders per county: more where there are more communities (largest remainder)."""
    mean = sum(sizes.values()) / len(sizes)
    weights = {k: v + mean for k, v in sizes.items()}
    raw = {k: total * w / sum(weights.values()) for k, w in weights.items()}
    alloc = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: -(raw[k] - alloc[k]))[: total - sum(alloc.values())]:
        alloc[k] += 1
    return alloc


def _final_links(rng: random.Random, comms: list[Community], weak: set[str], tg: Targets):
    """The last period's leaders and their 1–3 communities each; every weak community gets a leader."""
    n = len(comms)
    by_county: dict[str, list[Community]] = {}
    for c in comms:
        by_county.setdefault(c.county_code, []).append(c)
    counties = sorted(by_county)
    kp = _scale(tg.leaders_prefecture, n)
    alloc = _allocate(_scale(tg.leaders_county, n), {k: len(v) for k, v in by_county.items()})
    names = iter(_names(rng, kp + sum(alloc.values())))
    covered: set[str] = set()
    leaders = []  # (name, level, post, county_code or "", [communities])
    for j in range(kp):
        k, spread = rng.choice((1, 2, 2, 3)), rng.random() < 0.3
        home = rng.choices(counties, weights=[1 + sum(c.code in weak for c in by_county[k]) for k in counties])[0]
        picked: list[Community] = []
        for m in range(k):
            pool = by_county[rng.choice(counties) if spread and m else home]
            free = [c for c in pool if c.code in weak and c.code not in covered and c not in picked]
            choice = rng.choice(free or [c for c in pool if c not in picked] or pool)
            if choice not in picked:
                picked.append(choice)
                covered.add(choice.code)
        leaders.append((next(names), schema.LEVEL_PREFECTURE, CITY_POSTS[j % len(CITY_POSTS)], "", picked))
    for county in counties:
        pool = by_county[county]
        posts = _county_posts(pool[0].county_name, alloc[county])
        mine = [(next(names), schema.LEVEL_COUNTY, post, county, []) for post in posts]
        wants = [min(rng.randint(1, 3), len(pool)) for _ in mine]
        for c in pool:
            if c.code in weak and c.code not in covered:
                open_ = [x for x in mine if len(x[4]) < 3]
                if not open_:
                    raise ValueError(f"too few leaders in {county} to link every weak community")
                min(open_, key=lambda x: len(x[4]))[4].append(c)
                covered.add(c.code)
        for x, want in zip(mine, wants):
            while len(x[4]) < want:
                c = rng.choice(pool)
                if c not in x[4]:
                    x[4].append(c)
        leaders += mine
    return leaders


def _link_rows(rng: random.Random, comms: list[Community], periods: tuple[str, ...], weak: set[str],
               tg: Targets) -> pd.DataFrame:
    """Links per period: none at the baseline, part of the leaders in between, all in the last period."""
    leaders = _final_links(rng, comms, weak, tg)
    rows = []
    for i, period in enumerate(periods):
        q = _progress(i / (len(periods) - 1), 0.9) if len(periods) > 1 else 1.0
        seen: dict[str, int] = {}
        for name, level, post, county, picked in leaders:
            group = level + county
            seen[group] = seen.get(group, 0) + 1
            total = sum(1 for x in leaders if x[1] + x[3] == group)
            if q == 0 or seen[group] > round(total * q):
                continue
            for c in picked[: max(1, math.ceil(len(picked) * q))]:
                rows.append({"period": period, "county_code": c.county_code, "leader_name": name,
                             "leader_level": level, "leader_post": post, "community_code": c.code,
                             "community_name": c.name})
    return pd.DataFrame(rows, columns=["period", "county_code", "leader_name", "leader_level", "leader_post",
                                       "community_code", "community_name"])


def build_sample(registry: Registry, periods: tuple[str, ...] = PERIODS, seed: int = SEED,
                 targets: Targets = Targets()) -> Sample:
    """The true values of a sample for any registry and periods (the first is the baseline)."""
    rng = random.Random(seed)
    comms = list(registry.communities)
    communities = _community_rows(rng, comms, tuple(periods), targets)
    weak = set(communities.loc[communities["weak"], "community_code"])
    links = _link_rows(rng, comms, tuple(periods), weak, targets)
    return Sample(communities, links, tuple(periods), registry)


@lru_cache(maxsize=1)
def default_sample() -> Sample:
    """The committed sample's model (the shipped registry, 2013–2015, SEED)."""
    return build_sample(default_registry())


def sample_truth(period: str) -> pd.DataFrame:
    """The committed sample's true community rows of a period, with the schema's field names."""
    df = default_sample().communities
    return df[df["period"] == period][[f.name for f in schema.COMMUNITY_FIELDS]].reset_index(drop=True)


def sample_links(period: str) -> pd.DataFrame:
    """The committed sample's true leader–community links of a period (none in 2013)."""
    df = default_sample().links
    cols = ["leader_name", "leader_level", "leader_post", "community_code"]
    return df[df["period"] == period][cols].reset_index(drop=True)


# ---- rendering: how each county's clerk writes the return -------------------------------------------------

@dataclass(frozen=True)
class Style:
    """One clerk's habits; every variation of returns.md is some county's habit."""

    seq: bool = False                      # a 序号 first column
    two_row: bool = False                  # group cells 经费来源（万元）/ 三个统一 over a second header row
    totals: bool = False                   # a 合计 row of =SUM() under the table
    notes: bool = False                    # 注：… and 填表人：… under the table
    headers: tuple[tuple[str, str], ...] = ()  # field → the header this clerk writes
    order: tuple[str, ...] = ()            # these fields first, the rest in schema order
    yes_no: tuple[str, str] = ("是", "否")
    period_word: str = "年"                # 报告期：2015年 or 2015年度
    info_lines: int = 1                    # 填报单位 and 报告期 on one line or two
    unit_line: bool = False                # a 单位：… line in the title block
    blank_rows: bool = False               # a blank row above the header and one inside the table
    short_names: bool = False              # 永丰社区 for 永丰社区居委会
    short_townships: bool = False          # 城南 for 城南街道
    county_as_code: bool = False
    text_numbers: tuple[str, ...] = ()     # units | fullwidth | thousands | text | trailing | formula
    blank_codes: int = 0
    blank_kinds: int = 0
    remark: bool = False                   # an extra 备注 column
    sheet_names: tuple[str, str] = (schema.COMMUNITY_SHEET, schema.LEADER_SHEET)
    leader_first: bool = False
    merged_leaders: bool = False           # a leader's name, level and post merged over their rows
    template: bool = False                 # kept the template's dropdowns and 填表说明 sheet


STYLES: dict[str, Style] = {
    "450902": Style(template=True, totals=True, notes=True),  # 玉州区: the city's template as sent
    "450903": Style(seq=True, yes_no=("√", "×"), short_townships=True, text_numbers=("units",),
                    sheet_names=("Sheet1", "Sheet2"),
                    headers=(("county", "县(市、区)"), ("township", "乡镇(街道)"), ("community_name", "社区名"),
                             ("service_area_m2", "用房面积(㎡)"), ("service_items", "服务项目"),
                             ("facilities", "一厅六室两栏两中心配置数(项)"), ("grid_managed", "网格化管理"),
                             ("grid_count", "网格数(个)"), ("fund_fiscal", "财政专项经费(万元)"),
                             ("fund_party_fee", "留成党费(万元)"), ("fund_donation", "社会捐助(万元)"),
                             ("staff", "社区工作者(人)"), ("weak", "薄弱社区"), ("leader_name", "姓名"),
                             ("leader_level", "级别"), ("leader_post", "职务"), ("leader_community_name", "联系社区"))),
    "450921": Style(seq=True, two_row=True, totals=True, notes=True, period_word="年度", unit_line=True,
                    text_numbers=("formula",), merged_leaders=True),  # 容县
    "450922": Style(yes_no=("Y", "N"), text_numbers=("fullwidth", "trailing"), blank_kinds=3, leader_first=True,
                    order=("community_code", "community_name", "county", "township", "community_kind", "weak"),
                    headers=(("community_name", "社 区 名 称"), ("service_area_m2", "服务用房\n面积（平方米）"))),  # 陆川县
    "450923": Style(yes_no=("有", "无"), info_lines=2, blank_rows=True, short_townships=True,
                    text_numbers=("text",), blank_codes=3),  # 博白县
    "450924": Style(seq=True, short_names=True, county_as_code=True, remark=True, period_word="年度"),  # 兴业县
    "450981": Style(two_row=True, totals=True, notes=True, text_numbers=("thousands",), merged_leaders=True),  # 北流市
}
SUB_HEADERS = {"fund_fiscal": "财政专项", "fund_party_fee": "留成党费", "fund_donation": "社会捐助",
               "unified_site": "场地统一", "unified_function": "功能统一", "unified_sign": "标识统一"}
NUMERIC = schema.COMMUNITY_NUMBER_FIELDS
FUNDS = tuple(f.name for f in schema.COMMUNITY_FIELDS if f.unit == "万元")      # amounts with decimals
FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


def style_for(registry: Registry, county_code: str) -> Style:
    """The county's clerk style; counties of another registry take the styles in turn."""
    if county_code in STYLES:
        return STYLES[county_code]
    counties = sorted(registry.counties)
    return list(STYLES.values())[counties.index(county_code) % len(STYLES)]


def short_name(name: str) -> str:
    """永丰社区居委会 / 永丰居民委员会 → 永丰社区."""
    for suffix in ("社区居民委员会", "社区居委会", "居民委员会", "居委会"):
        if name.endswith(suffix):
            return name[: -len(suffix)] + "社区"
    return name


def _columns(style: Style, fields, leader: bool = False) -> list[Column]:
    headers = dict(style.headers)
    order = [f for name in style.order for f in fields if f.name == name]
    fields = order + [f for f in fields if f not in order]
    cols = []
    for f in fields:
        header = headers.get(("leader_" if leader and f.name == "community_name" else "") + f.name, f.header)
        if style.two_row and f.group:
            header = SUB_HEADERS.get(f.name, header)
        cols.append(Column(f.name, header, f.group if style.two_row else "", f.width))
    if style.seq:
        cols.insert(0, Column("seq", "序号", width=6))
    if style.remark and not leader:
        cols.append(Column("remark", "备注", width=10))
    return cols


def _render_number(key: str, value, how: str):
    if how == "units":
        return f"{value}万元" if key in FUNDS else f"{value}{'平方米' if value % 2 else '㎡'}"
    if how == "fullwidth":
        return str(value).translate(FULLWIDTH)
    if how == "thousands":
        return f"{value:,}"
    if how == "trailing":
        return f"{value} "
    if how == "formula":  # the clerk added two buildings' floor areas
        part = round(value * 0.6)
        return Formula(f"={part}+{value - part}", value)
    return str(value)


def _community_cells(truth: pd.DataFrame, style: Style, rng: random.Random) -> list[dict | None]:
    """The cells a clerk writes for the true rows."""
    n = len(truth)
    picks = {how: set(rng.sample(range(n), min(n, 6 if how != "formula" else 2))) for how in style.text_numbers}
    blank_codes, blank_kinds = set(rng.sample(range(n), min(n, style.blank_codes))), \
        set(rng.sample(range(n), min(n, style.blank_kinds)))
    rows: list[dict | None] = []
    for i, r in enumerate(truth.to_dict("records")):
        cells = dict(r, seq=i + 1)
        for key in schema.COMMUNITY_FIELDS:
            if key.type == "bool":
                cells[key.name] = style.yes_no[0] if r[key.name] else style.yes_no[1]
        if style.county_as_code:
            cells["county"] = r["county_code"]
        if style.short_townships:
            cells["township"] = r["township"].removesuffix("街道").removesuffix("镇")
        if style.short_names:
            cells["community_name"] = short_name(r["community_name"])
        if i in blank_codes:
            cells["community_code"] = None
        if i in blank_kinds:
            cells["community_kind"] = None
        for how in style.text_numbers:
            if i in picks[how] or (how == "thousands" and r["service_area_m2"] >= 1000):
                keys = ("service_area_m2",) + (FUNDS[:1] if how == "units" and i % 2 else ())
                for key in keys:
                    if how != "thousands" or r[key] >= 1000:
                        cells[key] = _render_number(key, r[key], how)
                if how == "trailing":
                    cells["community_name"] = f"{cells['community_name']} "
        if style.remark and i % 7 == 3:
            cells["remark"] = "新建" if r["service_area_m2"] >= 500 else "租用"
        rows.append(cells)
    if style.blank_rows:
        rows.insert(n // 2, None)
    return rows


def _totals(columns: list[Column], rows: list[dict | None]) -> dict[str, float]:
    """What Excel's =SUM() caches: numbers and formula values; text is not counted."""
    sums = {}
    for col in columns:
        if col.key in NUMERIC:
            values = [r[col.key] for r in rows if r is not None]
            total = sum(v.value if isinstance(v, Formula) else v for v in values
                        if isinstance(v, (int, float, Formula)) and not isinstance(v, bool))
            sums[col.key] = round(total, 1)
    return sums


def _title_info(style: Style, county_name: str, period: str) -> list[tuple[str, ...]]:
    when = format_period(period) + ("度" if style.period_word == "年度" and period.isdigit() else "")
    lines = [(f"填报单位：{county_name}", f"报告期：{when}")] if style.info_lines == 1 else \
        [(f"填报单位：{county_name}",), (f"报告期：{when}",)]
    if style.unit_line:
        lines.append(("单位：平方米、项、个、万元、人",))
    return lines


def _notes_lines(rng: random.Random, period: str) -> list[str]:
    year = int(period[:4])
    clerk, checker = _names(rng, 2)
    return [f"注：本表数据截至{year}年12月31日；经费单位为万元。",
            f"填表人：{clerk}    审核人：{checker}    联系电话：0775-{rng.randint(2000000, 3999999)}    "
            f"填报日期：{year + 1}年1月{rng.randint(5, 20)}日"]


def _write_community_sheet(ws, fmt: Formats, style: Style, truth: pd.DataFrame, county_name: str, period: str,
                           rng: random.Random, city: str) -> None:
    columns = _columns(style, schema.COMMUNITY_FIELDS)
    row = write_title_block(ws, fmt, community_title(city), len(columns), _title_info(style, county_name, period),
                            blank_after=1 if style.blank_rows else 0)
    first = write_header(ws, fmt, row, columns, style.two_row)
    rows = _community_cells(truth, style, rng)
    end = write_rows(ws, fmt, first, columns, rows, decimal_keys=FUNDS)
    if style.template:
        add_validations(ws, columns, schema.COMMUNITY_FIELDS, first, end - 1)
    ws.freeze_panes(first, 1 if style.seq else 0)
    if style.totals:
        end = write_totals(ws, fmt, end, columns, first, end - 1, _totals(columns, rows), decimal_keys=FUNDS)
    if style.notes:
        write_notes(ws, fmt, end + 1, _notes_lines(rng, period))


def _write_leader_sheet(ws, fmt: Formats, style: Style, links: pd.DataFrame, county_name: str, period: str,
                        rng: random.Random, city: str) -> None:
    columns = _columns(style, schema.LEADER_FIELDS, leader=True)
    row = write_title_block(ws, fmt, leader_title(city), len(columns), _title_info(style, county_name, period))
    first = write_header(ws, fmt, row, columns)
    links = links.sort_values("leader_level", kind="stable", key=lambda s: s != schema.LEVEL_PREFECTURE)
    blank_codes = set(rng.sample(range(len(links)), min(len(links), style.blank_codes)))
    rows, seq, spans, last_leader = [], 0, [], None
    for i, r in enumerate(links.to_dict("records")):
        if (r["leader_name"], r["leader_level"]) != last_leader:
            seq, last_leader = seq + 1, (r["leader_name"], r["leader_level"])
            spans.append([len(rows), len(rows)])
        spans[-1][1] = len(rows)
        rows.append(dict(r, seq=seq, community_code=None if i in blank_codes else r["community_code"],
                         community_name=short_name(r["community_name"]) if style.short_names else r["community_name"]))
    write_rows(ws, fmt, first, columns, rows)
    if style.merged_leaders:
        for c, col in enumerate(columns):
            if col.key in ("seq", "leader_name", "leader_level", "leader_post"):
                for a, b in spans:
                    if b > a:
                        ws.merge_range(first + a, c, first + b, c, rows[a][col.key], fmt.text)
    if style.template:
        add_validations(ws, columns, schema.LEADER_FIELDS, first, first + max(len(rows), 1) - 1)
    ws.freeze_panes(first, 0)


def write_return(target, sample: Sample, county_code: str, period: str, style: Style, seed: int = SEED) -> None:
    """One county's return for a period, in its clerk's style."""
    rng = random.Random(f"{seed}-{county_code}-{period}")
    county_name = sample.registry.counties[county_code]
    df = sample.communities
    truth = df[(df["period"] == period) & (df["county_code"] == county_code)]
    links = sample.links[(sample.links["period"] == period) & (sample.links["county_code"] == county_code)]
    city = sample.registry.city.name
    workbook = open_workbook(target, city)
    fmt = Formats(workbook)
    sheets = [("community", style.sheet_names[0])]
    if len(links):  # the baseline has no leader sheet: the leader system began later
        sheets.insert(0 if style.leader_first else 1, ("leader", style.sheet_names[1]))
    for kind, name in sheets:
        ws = workbook.add_worksheet(name)
        if kind == "community":
            _write_community_sheet(ws, fmt, style, truth, county_name, period, rng, city)
        else:
            _write_leader_sheet(ws, fmt, style, links, county_name, period, rng, city)
    if style.template:
        write_notes_sheet(workbook.add_worksheet(schema.NOTES_SHEET), fmt)
    workbook.close()


def return_name(period: str, county_code: str, county_name: str) -> str:
    """2015_450981_北流市.xlsx."""
    return f"{period}_{county_code}_{county_name}.xlsx"


def write_returns(sample: Sample, out_dir, seed: int = SEED) -> list[Path]:
    """Every county's return for every period of the sample, into out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for period in sample.periods:
        for code, name in sorted(sample.registry.counties.items()):
            path = out / return_name(period, code, name)
            write_return(path, sample, code, period, style_for(sample.registry, code), seed)
            paths.append(path)
    return paths


def generate_returns(registry: Registry, periods: tuple[str, ...] = PERIODS, seed: int = SEED, out_dir=None,
                     targets: Targets = Targets()) -> tuple[Sample, list[Path]]:
    """A synthetic sample of any registry (a benchmark's N communities): the model, and the files if out_dir."""
    sample = build_sample(registry, tuple(periods), seed, targets)
    return sample, (write_returns(sample, out_dir, seed) if out_dir is not None else [])


def seed_for(city: City) -> int:
    """The sample's seed of a city: Yulin's committed SEED, any other city's from its code (deterministic)."""
    return SEED if city == DEFAULT_CITY else int(city.code) * 100_000_000 + SEED


def generate(out_dir, registry: Registry | None = None) -> list[Path]:
    """Write a city's sample returns, each county × 2013–2015: the committed one (Yulin's 21) by default."""
    if registry is None:
        return write_returns(default_sample(), out_dir)
    seed = seed_for(registry.city)
    return write_returns(build_sample(registry, PERIODS, seed), out_dir, seed)
