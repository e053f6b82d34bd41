"""Building county returns in tests, the way clerks lay them out (real .xlsx files via xlsxwriter)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from etl.registry import default_registry

HEADERS = ["县（市、区）", "乡镇（街道）", "社区代码", "社区名称", "社区类型", "服务用房面积（平方米）",
           "服务项目数（项）", "是否实行网格化管理", "网格数（个）", "是否基础薄弱社区"]


def communities(county: str = "450981", n: int = 3):
    return default_registry().in_county(county)[:n]


def standard_rows(county: str = "450981", n: int = 3, area=600, items=30, grid="是", weak="否") -> list[list]:
    """Rows under HEADERS for the first n registry communities of the county."""
    return [[c.county_name, c.township_name, c.code, c.name, c.kind, area, items, grid, 2, weak]
            for c in communities(county, n)]


@dataclass
class SheetSpec:
    name: str = "社区基本情况"
    title: list[list] = field(default_factory=lambda: [["玉林市城乡社区规范化建设情况报表"],
                                                       ["填报单位：北流市", "", "", "", "报告期：2015年"]])
    headers: list[list] = field(default_factory=lambda: [HEADERS])   # one or two header rows
    rows: list[list] = field(default_factory=list)
    merges: list[tuple[int, int, int, int, object]] = field(default_factory=list)  # r0, c0, r1, c1, value
    formulas: dict[tuple[int, int], tuple[str, object]] = field(default_factory=dict)  # (r, c) → (formula, cached)
    hidden: bool = False


def leader_sheet(links: list[list], county_label: str = "北流市") -> SheetSpec:
    return SheetSpec(name="领导包联", title=[[f"填报单位：{county_label}", "报告期：2015年"]],
                     headers=[["领导姓名", "领导级别", "单位及职务", "联系社区代码", "联系社区名称"]], rows=links)


def write_workbook(path: Path, *sheets: SheetSpec) -> Path:
    """Title lines, header rows, data rows one after another from A1; merges and formulas where asked."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                          "default_date_format": "yyyy-mm-dd"})
    for spec in sheets:
        ws = book.add_worksheet(spec.name)
        r = 0
        for line in [*spec.title, *spec.headers, *spec.rows]:
            for c, value in enumerate(line):
                if value is None or value == "":
                    continue
                if (r, c) in spec.formulas:
                    continue
                ws.write(r, c, value)
            r += 1
        for (fr, fc), (formula, cached) in spec.formulas.items():
            ws.write_formula(fr, fc, formula, None, cached)
        for r0, c0, r1, c1, value in spec.merges:
            ws.merge_range(r0, c0, r1, c1, value)
        if spec.hidden:
            ws.hide()
    book.close()
    return path


def simple_return(path: Path, rows: list[list] | None = None, **spec) -> Path:
    return write_workbook(path, SheetSpec(rows=standard_rows() if rows is None else rows, **spec))
