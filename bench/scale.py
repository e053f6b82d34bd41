"""Synthetic data at any scale: a registry of N communities, their values over P periods, returns as workbooks.

The committed sample (etl/files/sample.py) is exact and clerk-styled but built for hundreds of communities; here the
values are drawn with numpy so that 120,000 communities × 12 periods take seconds, and returns are written in the
template's layout (the same headers `shequ template` writes).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from etl.store.load import ParsedReturn
from etl.registry import Community, Registry, default_registry
from etl.read.schema import COMMUNITY_FIELDS, LEADER_FIELDS, BUILD_MODES


@dataclass(frozen=True)
class Scale:
    name: str
    communities: int
    periods: int
    counties: int
    ingest_rows: int          # the single big workbook of the ingest benchmark
    repeat: int


SCALES = {
    "tiny": Scale("tiny", 184, 2, 7, 500, 1),
    "city": Scale("city", 184, 3, 7, 10_000, 3),
    "province": Scale("province", 5_000, 12, 50, 100_000, 3),
    "nation": Scale("nation", 120_000, 12, 300, 100_000, 3),
}
SCALES["full"] = SCALES["nation"]


def periods(n: int) -> list[str]:
    """n quarters ending 2015Q4, or the three sample years for n ≤ 3."""
    if n <= 3:
        return ["2013", "2014", "2015"][-n:]
    quarters = [f"{y}Q{q}" for y in range(2013, 2016) for q in range(1, 5)]
    return quarters[-n:] if n <= 12 else [f"{2016 + i // 4}Q{i % 4 + 1}" for i in range(n)]


def registry(n: int, counties: int, prefix: int = 91) -> Registry:
    """N communities in `counties` counties (10 townships each); n = 184 gives Yulin's real registry."""
    if n == 184 and counties == 7:
        return default_registry()
    out = []
    per_county = -(-n // counties)
    for i in range(n):
        c, k = divmod(i, per_county)
        county = f"{prefix}{c:04d}"
        township = f"{county}{k % 10:03d}"
        kind = "城市社区" if k % 3 == 0 else "乡镇社区"
        out.append(Community(f"{township}{k // 10:03d}", f"社区{i:06d}社区居委会", township,
                             f"乡镇{c:04d}{k % 10:02d}{'街道' if kind == '城市社区' else '镇'}", county, f"县{c:04d}",
                             kind))
    return Registry(tuple(out))


def values(reg: Registry, period_list: list[str], seed: int = 7) -> pd.DataFrame:
    """One row per community and period with every field of the return, improving over the periods."""
    rng = np.random.default_rng(seed)
    comms = reg.communities
    n = len(comms)
    base_area = rng.lognormal(5.6, 0.6, n)
    weak = rng.random(n) < 0.4
    frames = []
    for p, period in enumerate(period_list):
        t = p / max(len(period_list) - 1, 1)
        grid = rng.random(n) < 0.35 + 0.65 * t
        frames.append(pd.DataFrame({
            "period": period,
            "county_code": [c.county_code for c in comms],
            "county": [c.county_name for c in comms],
            "township": [c.township_name for c in comms],
            "community_code": [c.code for c in comms],
            "community_name": [c.name for c in comms],
            "community_kind": [c.kind for c in comms],
            "service_area_m2": np.round(np.minimum(base_area * (1 + 1.5 * t), 19_000), 1),
            "service_items": np.clip(np.round(12 + 47 * t + rng.normal(0, 4, n)), 0, 59).astype(int),
            "facilities": np.clip(np.round(4 + 7 * t + rng.normal(0, 1.5, n)), 0, 11).astype(int),
            "grid_managed": grid,
            "grid_count": np.where(grid, rng.integers(1, 12, n), 0),
            "party_org_standard": rng.random(n) < 0.3 + 0.7 * t,
            "unified_site": rng.random(n) < 0.3 + 0.7 * t,
            "unified_function": rng.random(n) < 0.3 + 0.7 * t,
            "unified_sign": rng.random(n) < 0.3 + 0.7 * t,
            "build_mode": np.array(BUILD_MODES, dtype=object)[rng.integers(0, 5, n)],
            "fund_fiscal": np.round(rng.gamma(2, 5, n), 1),
            "fund_party_fee": np.round(rng.gamma(1, 1, n), 1),
            "fund_donation": np.round(rng.gamma(1, 0.5, n), 1),
            "staff": rng.integers(3, 16, n),
            "trained": rng.integers(0, 60, n),
            "weak": weak,
        }))
    return pd.concat(frames, ignore_index=True)


def links(rows: pd.DataFrame, seed: int = 11) -> pd.DataFrame:
    """Each weak community linked by one county-level leader (1–3 communities each) and every tenth by a city one."""
    rng = np.random.default_rng(seed)
    weak = rows[rows["weak"]]
    parts = []
    for (period, county), group in weak.groupby(["period", "county_code"], sort=False):
        codes = group["community_code"].to_numpy()
        leader = np.arange(len(codes)) // 2
        parts.append(pd.DataFrame({"period": period, "county_code": county,
                                   "leader_name": [f"县级{county}_{i}" for i in leader], "leader_level": "县级",
                                   "leader_post": "县委常委", "community_code": codes}))
        city = codes[::10]
        parts.append(pd.DataFrame({"period": period, "county_code": county,
                                   "leader_name": [f"厅级{int(rng.integers(0, 40))}" for _ in city],
                                   "leader_level": "厅级", "leader_post": "市委常委", "community_code": city}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def registry_csv(reg: Registry, path: Path) -> Path:
    pd.DataFrame([{"county_code": c.county_code, "county_name": c.county_name, "township_code": c.township_code,
                   "township_name": c.township_name,
                   "township_kind": "street" if c.kind == "城市社区" else "town", "community_code": c.code,
                   "community_name": c.name} for c in reg.communities]).to_csv(path, index=False)
    return path


def write_return(path: Path, county_name: str, period: str, rows: pd.DataFrame, link_rows: pd.DataFrame) -> Path:
    """A county return in the template's layout: title block, one header row, a row per community, leaders."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                           "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("社区基本情况")
    sheet.write_row(0, 0, ["玉林市城乡社区规范化建设情况报表"])
    sheet.write_row(1, 0, [f"填报单位：{county_name}", "", "", "", f"报告期：{period}"])
    fields = [f for f in COMMUNITY_FIELDS]
    sheet.write_row(2, 0, [f.header for f in fields])
    yes_no = {True: "是", False: "否"}
    columns = []
    for f in fields:
        column = rows[f.name].to_numpy(dtype=object)
        if f.type == "bool":
            column = np.array([yes_no[bool(v)] for v in column], dtype=object)
        columns.append(column)
    for r, values_row in enumerate(zip(*columns), start=3):
        sheet.write_row(r, 0, values_row)
    if len(link_rows):
        leaders = book.add_worksheet("领导包联")
        leaders.write_row(0, 0, [f"填报单位：{county_name}", f"报告期：{period}"])
        leaders.write_row(1, 0, [f.header for f in LEADER_FIELDS])
        for r, row in enumerate(link_rows[["leader_name", "leader_level", "leader_post", "community_code"]]
                                .itertuples(index=False), start=2):
            leaders.write_row(r, 0, list(row))
    book.close()
    return path


def parsed_return(county_code: str, period: str, rows: pd.DataFrame, link_rows: pd.DataFrame) -> ParsedReturn:
    """The same return as the reader would hand it to the loader (for filling a big database quickly)."""
    communities = rows.drop(columns=["period", "county_code", "county", "township"]).assign(
        township_name=rows["township"].to_numpy(), sheet="社区基本情况", source_row=np.arange(len(rows)) + 4)
    linked = link_rows.drop(columns=["period", "county_code"]).assign(sheet="领导包联",
                                                                        source_row=np.arange(len(link_rows)) + 3)
    return ParsedReturn(county_code, period, communities, linked)
