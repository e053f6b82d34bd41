"""The county return's fields, declared once: the template, the reader and the validator derive from these."""
from __future__ import annotations

from dataclasses import dataclass

COMMUNITY_SHEET = "社区基本情况"
LEADER_SHEET = "领导包联"
NOTES_SHEET = "填表说明"

KIND_URBAN = "城市社区"
KIND_TOWNSHIP = "乡镇社区"
KINDS = (KIND_URBAN, KIND_TOWNSHIP)
KIND_CODES = {KIND_URBAN: "urban", KIND_TOWNSHIP: "township"}

LEVEL_PREFECTURE = "厅级"
LEVEL_COUNTY = "县级"
LEADER_LEVELS = (LEVEL_PREFECTURE, LEVEL_COUNTY)

BUILD_MODES = ("国有资产划拨建", "民生项目整合建", "原有场所改（扩）建", "规划先行统筹建", "商住小区同步建")


@dataclass(frozen=True)
class Field:
    """One column of a return: how it is headed, what it holds and what is allowed."""

    name: str
    header: str                      # the template's Chinese header
    label_en: str
    type: str                        # text | code | number | int | bool | choice
    required: bool = False
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()   # other headers clerks write (normalised when matched)
    unit: str = ""
    group: str = ""                  # the merged group cell above it in a two-row header
    help_zh: str = ""
    help_en: str = ""
    width: int = 12                  # template column width
    length: int = 0                  # stored text: the database column's width in characters
    stored_as: str = ""              # the database column, when it is not the field's name

    @property
    def column(self) -> str:
        """The database column a community row keeps this field in."""
        return self.stored_as or self.name


COMMUNITY_FIELDS: tuple[Field, ...] = (
    Field("county", "县（市、区）", "County", "text", synonyms=("县市区", "县区", "县(市)", "县", "所属县", "county"),
          help_zh="县（市、区）名称或6位代码，须为本报表的县", help_en="County name or 6-digit code; must be this return's county", width=10),
    Field("township", "乡镇（街道）", "Township / street", "text", length=64, stored_as="township_name",
          synonyms=("乡镇街道", "乡镇", "街道", "镇街", "所属乡镇", "所属街道", "乡镇(街道)名称", "township", "street"),
          help_zh="乡镇或街道名称，与区划名录核对", help_en="Township or street name, checked against the registry", width=12),
    Field("community_code", "社区代码", "Community code", "code",
          synonyms=("统计代码", "区划代码", "社区编码", "代码", "统计用区划代码", "community code", "code"),
          help_zh="12位统计用区划代码；空白时按名称匹配", help_en="12-digit statistical code; matched by name when blank", width=16),
    Field("community_name", "社区名称", "Community", "text", required=True, length=64,
          synonyms=("社区名", "社区", "社区居委会", "社区居委会名称", "名称", "community", "community name"),
          help_zh="社区名称，可简写（如“永丰社区”）", help_en="Community name; short forms accepted", width=18),
    Field("community_kind", "社区类型", "Kind", "choice", choices=("城市社区", "乡镇社区"), length=8,
          synonyms=("类型", "社区类别", "城市/乡镇", "kind", "community kind", "type"),
          help_zh="城市社区或乡镇社区；空白时按区划名录", help_en="Urban or township; taken from the registry when blank", width=10),
    Field("service_area_m2", "服务用房面积（平方米）", "Service premises (m²)", "number", required=True, min=0, max=20000,
          synonyms=("面积", "服务用房面积", "用房面积", "服务场所面积", "办公服务用房面积", "服务用房", "场所面积",
                    "service area", "service area m2", "area"),
          unit="平方米", help_zh="社区办公服务用房建筑面积，平方米", help_en="Floor area of the community's service premises, m²", width=14),
    Field("service_items", "服务项目数（项）", "Service items", "int", required=True, min=0, max=59,
          synonyms=("服务项目数", "服务项目", "服务事项数", "服务内容", "项目数", "service items", "services"),
          unit="项", help_zh="开展的服务项目数（全市目录共8大类59项）", help_en="Service items offered (the city's catalogue: 59 in 8 categories)", width=12),
    Field("facilities", "“一厅六室两栏两中心”配置数（项）", "Facilities (of 11)", "int", min=0, max=11,
          synonyms=("一厅六室两栏两中心配置数", "一厅六室两栏两中心", "一厅六室两栏两中心配置", "配置数", "设施配置数", "facilities"),
          unit="项", help_zh="“一厅六室两栏两中心”已配置项数（满分11）", help_en="How many of the 11 standard facilities are in place", width=14),
    Field("grid_managed", "是否实行网格化管理", "Grid-managed", "bool", required=True,
          synonyms=("网格化管理", "实行网格化管理", "网格化", "grid managed", "grid"),
          help_zh="是/否", help_en="yes/no", width=10),
    Field("grid_count", "网格数（个）", "Grids", "int", min=0,
          synonyms=("网格数", "网格个数", "grid count", "grids"),
          unit="个", help_zh="实行网格化管理时至少1个", help_en="At least 1 when grid-managed", width=8),
    Field("party_org_standard", "服务型党组织标准化建设是否达标", "Party organisation up to standard", "bool",
          synonyms=("服务型党组织标准化建设", "党组织标准化达标", "党组织达标", "服务型党组织达标", "party standard"),
          help_zh="是/否", help_en="yes/no", width=12),
    Field("unified_site", "场地标准统一", "Unified premises", "bool", group="三个统一",
          synonyms=("场地统一", "场地标准", "场地", "unified site"), help_zh="是/否", help_en="yes/no", width=8),
    Field("unified_function", "功能配置统一", "Unified functions", "bool", group="三个统一",
          synonyms=("功能统一", "功能配置", "功能", "unified function"), help_zh="是/否", help_en="yes/no", width=8),
    Field("unified_sign", "社区标识统一", "Unified signage", "bool", group="三个统一",
          synonyms=("标识统一", "社区标识", "标识", "unified sign"), help_zh="是/否", help_en="yes/no", width=8),
    Field("build_mode", "建设模式", "Build mode", "choice", choices=BUILD_MODES, length=32,
          synonyms=("建设方式", "场所建设模式", "build mode"),
          help_zh="“五种建设模式”之一，可空", help_en="One of the five build modes; may be blank", width=16),
    Field("fund_fiscal", "财政专项经费（万元）", "Fiscal funds (10k yuan)", "number", min=0, group="经费来源（万元）",
          synonyms=("财政专项经费", "财政专项", "财政经费", "财政投入", "fiscal funds", "fund fiscal"),
          unit="万元", help_zh="财政专项经费，万元", help_en="Dedicated fiscal funds, 10,000 yuan", width=10),
    Field("fund_party_fee", "留成党费划拨（万元）", "Party fees (10k yuan)", "number", min=0, group="经费来源（万元）",
          synonyms=("留成党费划拨", "留成党费", "党费划拨", "党费", "party fee", "fund party fee"),
          unit="万元", help_zh="留成党费专项划拨，万元", help_en="Retained party fees allocated, 10,000 yuan", width=10),
    Field("fund_donation", "社会捐助（万元）", "Donations (10k yuan)", "number", min=0, group="经费来源（万元）",
          synonyms=("社会捐助", "捐助", "社会捐赠", "donation", "fund donation"),
          unit="万元", help_zh="社会捐助，万元", help_en="Donations, 10,000 yuan", width=10),
    Field("staff", "社区工作者（人）", "Community workers", "int", min=0,
          synonyms=("社区工作者", "工作人员", "社区工作者人数", "社工人数", "staff"),
          unit="人", help_zh="社区工作者人数", help_en="Number of community workers", width=8),
    Field("trained", "培训人次", "Training (person-times)", "int", min=0,
          synonyms=("培训", "培训人数", "trained", "training"),
          unit="人次", help_zh="本期培训人次", help_en="Person-times trained in the period", width=8),
    Field("weak", "是否基础薄弱社区", "Weak community", "bool",
          synonyms=("基础薄弱社区", "薄弱社区", "是否薄弱", "基础薄弱", "weak"),
          help_zh="是/否", help_en="yes/no", width=10),
)

# A community row as the database keeps it: every field but the county (the return's) and the code (the row's key);
# the township under the registry's spelling of it (township_name).
STORED_COMMUNITY_FIELDS = tuple(f for f in COMMUNITY_FIELDS if f.name not in ("county", "community_code"))
COMMUNITY_BOOL_FIELDS = tuple(f.name for f in COMMUNITY_FIELDS if f.type == "bool")
COMMUNITY_NUMBER_FIELDS = tuple(f.name for f in COMMUNITY_FIELDS if f.type in ("number", "int"))

LEADER_FIELDS: tuple[Field, ...] = (
    Field("leader_name", "领导姓名", "Leader", "text", required=True,
          synonyms=("姓名", "包联领导", "领导", "联系领导", "leader", "leader name", "name"), width=10),
    Field("leader_level", "领导级别", "Level", "choice", required=True, choices=LEADER_LEVELS,
          synonyms=("级别", "层级", "leader level", "level"), help_zh="厅级或县级", help_en="prefecture or county level", width=8),
    Field("leader_post", "单位及职务", "Post", "text", synonyms=("职务", "单位职务", "工作单位及职务", "post"), width=24),
    Field("community_code", "联系社区代码", "Community code", "code",
          synonyms=("社区代码", "包联社区代码", "community code", "code"), width=16),
    Field("community_name", "联系社区名称", "Community", "text",
          synonyms=("联系社区", "包联社区", "社区名称", "社区", "community", "community name"), width=18),
)

FIELDS_BY_SHEET = {"community": COMMUNITY_FIELDS, "leader": LEADER_FIELDS}

# Headers that mark a column we know but do not load (the row number); not worth a warning.
IGNORED_HEADERS = ("序号", "编号", "no", "no.", "#", "备注", "remarks")

# First-cell words that mark a totals row or the notes under a table.
TOTAL_MARKERS = ("合计", "总计", "小计", "total", "subtotal")
NOTE_MARKERS = ("填表说明", "注：", "注:", "说明：", "说明:", "备注：", "备注:", "填表人", "审核人", "制表", "note")


def field_by_name(sheet: str, name: str) -> Field:
    return next(f for f in FIELDS_BY_SHEET[sheet] if f.name == name)


def english_label(header: str) -> str | None:
    """The English label of the field whose Chinese header this is (None for a header no field has)."""
    for fields in FIELDS_BY_SHEET.values():
        for f in fields:
            if f.header == header:
                return f.label_en
    return None
