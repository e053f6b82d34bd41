"""Validation problems as records: a stable code, where it is (as Excel shows it) and a message in two languages."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from etl.read.schema import english_label

ERROR = "error"
WARNING = "warning"

# code → (severity, Chinese template, English template). Templates take the Problem's fields and `detail`.
MESSAGES: dict[str, tuple[str, str, str]] = {
    "not-a-workbook": (ERROR, "不是Excel工作簿（{detail}）", "not an Excel workbook ({detail})"),
    "damaged-workbook": (ERROR, "工作簿已损坏，无法读取（{detail}）", "the workbook is damaged and cannot be read ({detail})"),
    "encrypted-workbook": (ERROR, "工作簿设有密码，请取消密码后重新报送", "the workbook is password-protected; remove the password and send it again"),
    "oversize-file": (ERROR, "文件过大或解压后过大（{detail}）", "the file is too large, or expands to too much ({detail})"),
    "unsafe-workbook": (ERROR, "工作簿含有不安全的内容（{detail}）", "the workbook holds unsafe content ({detail})"),
    "parse-failed": (ERROR, "读取工作簿时出错（{detail}）", "reading the workbook failed ({detail})"),
    "no-table": (ERROR, "未找到“社区基本情况”表：前15行中没有所需表头", "no community table: none of the first 15 rows has the required headers"),
    "missing-column": (ERROR, "缺少必填列“{detail}”", "the required column '{detail}' is missing"),
    "duplicate-column": (WARNING, "表头“{detail}”重复，只读取第一列", "the header '{detail}' appears twice; only the first is read"),
    "unknown-column": (WARNING, "无法识别的列“{detail}”，已忽略", "column '{detail}' is not recognised and was ignored"),
    "no-county": (ERROR, "无法确定填报单位（县、市、区）：请在表头上方填写“填报单位：××县”", "cannot tell the county: write '填报单位：<county>' above the table"),
    "no-period": (ERROR, "无法确定报告期：请在表头上方填写“报告期：2015年”", "cannot tell the period: write '报告期：2015年' above the table"),
    "county-mismatch": (ERROR, "县（市、区）不一致：{detail}", "the county does not match: {detail}"),
    "period-mismatch": (ERROR, "报告期不一致：{detail}", "the period does not match: {detail}"),
    "missing-value": (ERROR, "“{detail}”为必填项", "'{detail}' is required"),
    "wrong-type": (ERROR, "“{value}”不是有效的{detail_zh}", "'{value}' is not a valid {detail}"),
    "out-of-range": (ERROR, "{value} 超出允许范围（{detail}）", "{value} is out of range ({detail})"),
    "not-a-choice": (ERROR, "“{value}”不是可选值（{detail}）", "'{value}' is not one of the allowed values ({detail})"),
    "unknown-community": (ERROR, "区划名录中没有社区“{value}”", "there is no community '{value}' in the registry"),
    "community-in-other-county": (ERROR, "社区“{value}”属于{detail}，不属于本县", "community '{value}' belongs to {detail}, not to this county"),
    "code-name-mismatch": (WARNING, "社区代码与名称不一致：按代码取“{detail}”", "the code and the name disagree: the code's community '{detail}' was taken"),
    "duplicate-community": (ERROR, "社区“{value}”重复出现（另见第{detail}行）", "community '{value}' appears twice (see also row {detail})"),
    "township-mismatch": (WARNING, "乡镇（街道）“{value}”与名录不符，名录为“{detail}”", "township '{value}' differs from the registry's '{detail}'"),
    "kind-mismatch": (WARNING, "社区类型“{value}”与名录不符，名录为“{detail}”", "kind '{value}' differs from the registry's '{detail}'"),
    "grid-count-required": (ERROR, "实行网格化管理的社区网格数至少为1", "a grid-managed community needs at least 1 grid"),
    "no-leader-sheet": (WARNING, "未找到“领导包联”表，本期无包联数据", "no leadership sheet: no leader links this period"),
    "leader-unknown-community": (ERROR, "包联社区“{value}”不在区划名录中", "linked community '{value}' is not in the registry"),
    "leader-overload": (WARNING, "{value}包联{detail}个社区，超出1至3个的规定", "{value} is linked to {detail} communities, more than the rule of 1 to 3"),
    "duplicate-link": (WARNING, "{value}与该社区的包联关系重复", "{value} is linked to this community twice"),
    "leader-community-not-reported": (WARNING, "包联社区“{value}”不在本报表的社区表中", "linked community '{value}' is not in this return's community table"),
    "empty-return": (ERROR, "表中没有社区数据", "the table holds no communities"),
    # A community a return names by a code or name no longer in force in its period (etl/registry_history.py).
    "renamed": (WARNING, "{value} 已于{detail}", "{value} {detail}"),
    "community-merged": (ERROR, "社区“{value}”已于{detail}", "community '{value}' {detail}"),
    "community-split": (ERROR, "社区“{value}”已于{detail}", "community '{value}' {detail}"),
    "community-abolished": (ERROR, "社区“{value}”已于{detail}撤销", "community '{value}' was abolished in {detail}"),
    "communities-missing": (WARNING, "本期区划名录中本县（市、区）有{value}个社区未填报：{detail}", "{value} communities of the county in this period's registry are not in the return: {detail}"),
    # A registry change file's rows (etl/read/changes.py); the column is the change file's.
    "change-empty": (ERROR, "变更文件中没有变更", "the change file holds no changes"),
    "change-unreadable": (ERROR, "无法读取变更文件（{detail}）", "cannot read the change file ({detail})"),
    "change-bad-period": (ERROR, "生效期“{value}”无效：应为年份（2017）、季度（2017Q1）或月份（2017-03）", "the effective period '{value}' is not a year (2017), a quarter (2017Q1) or a month (2017-03)"),
    "change-before-baseline": (ERROR, "生效期{value}早于基期{detail}", "the effective period {value} is before the baseline {detail}"),
    "change-not-after-applied": (ERROR, "生效期{value}不晚于已应用的变更（{detail}）：变更须按时间顺序应用", "the effective period {value} is not after the change set already applied ({detail}): change sets are applied in order"),
    "change-unknown-kind": (ERROR, "变更类型“{value}”无效，应为{detail}", "the change '{value}' is not one of {detail}"),
    "change-bad-code": (ERROR, "代码“{value}”应为{detail}位数字", "the code '{value}' is not {detail} digits"),
    "change-bad-name": (ERROR, "名称“{value}”无效：至多{detail}个字，不以 = + - @ 开头，不含 < > \"", "the name '{value}' is not valid: at most {detail} characters, not starting with = + - @, without < > \""),
    "change-needs": (ERROR, "{value}变更须填写“{detail}”", "a {value} needs '{detail}'"),
    "change-abolish-successor": (ERROR, "撤销的社区不应填写新代码（{value}）；并入其他社区请用“合并”", "an abolished community has no new_code ({value}); use merge when it joins another"),
    "change-unknown-code": (ERROR, "{detail}前的区划名录中没有代码为{value}的社区", "no community has the code {value} in the registry in force before {detail}"),
    "change-unknown-county": (ERROR, "没有代码为{value}的县（市、区）", "no county has the code {value}"),
    "change-new-township": (ERROR, "名录中没有乡镇（街道）{value}：新的乡镇（街道）须填写乡镇名称和县代码", "township {value} is not in the registry: a new township needs township_name and county_code"),
    "change-twice": (ERROR, "{value}在同一变更中出现多次（另见第{detail}行）", "{value} is changed twice in one change set (see also row {detail})"),
    "change-split-one": (ERROR, "拆分{value}只有一行：拆分须有两个以上新社区", "the split of {value} has one row: a split makes two or more communities"),
    "change-code-exists": (ERROR, "代码{value}已是社区“{detail}”的代码", "the code {value} is already {detail}'s"),
    "change-merge-counties": (ERROR, "合并为{value}的社区分属不同县（市、区）：{detail}", "the communities merged into {value} are in different counties: {detail}"),
    "hidden-sheet": (WARNING, "工作表“{value}”为隐藏状态，已照常读取", "sheet '{value}' is hidden; it was read all the same"),
}


# Details that are words, said in Chinese in the Chinese message ({detail_zh} in a template).
DETAIL_ZH = {"number": "数字", "integer": "整数", "yes/no": "是/否", "code": "12位代码", "choice": "可选值"}
# Problems whose detail names a column of the return by its Chinese header (out-of-range: "header: range"); the
# English message names it by the field's English label (etl/read/schema.py).
NAMES_A_COLUMN = frozenset({"missing-column", "missing-value", "out-of-range"})
# Problems whose detail, when there is one, lists the registry's names most like the unknown one (etl/registry.py
# Registry.similar): the message ends by suggesting them.
SUGGESTS = frozenset({"unknown-community", "leader-unknown-community"})


def _english_header(detail: str) -> str:
    """A detail that begins with a return's Chinese column header, with the field's English label instead."""
    header, sep, rest = detail.partition(": ")
    label = english_label(header)
    return f"{label}{sep}{rest}" if label else detail


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a return; row and column are what Excel shows (12, 'F'), None for the whole file."""

    code: str
    file: str = ""
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    detail: str = ""
    detail_en: str = ""     # the detail in English where it differs (a county's name); the Chinese otherwise

    @property
    def severity(self) -> str:
        return MESSAGES[self.code][0]

    @property
    def message_zh(self) -> str:
        message = MESSAGES[self.code][1].format(value=self.value, detail=self.detail,
                                                detail_zh=DETAIL_ZH.get(self.detail, self.detail))
        return f"{message}；是否为：{self.detail}？" if self.code in SUGGESTS and self.detail else message

    @property
    def message_en(self) -> str:
        detail = self.detail_en or (_english_header(self.detail) if self.code in NAMES_A_COLUMN else self.detail)
        if self.code == "not-a-choice":      # the values are what the clerk types; only the list is said in English
            detail = detail.replace("、", ", ")
        message = MESSAGES[self.code][2].format(value=self.value, detail=detail)
        return f"{message}; did you mean: {detail}?" if self.code in SUGGESTS and detail else message

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(severity=self.severity, message_zh=self.message_zh, message_en=self.message_en)
        return d

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" else self.message_zh


@dataclass
class Report:
    """Every problem found in one file; valid while there is no error."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    county_code: str | None = None      # what the reader found, even when the return is rejected for other reasons
    period: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def valid(self) -> bool:
        return not self.errors

    def add(self, code: str, **where) -> Problem:
        problem = Problem(code, file=self.file, **where)
        self.problems.append(problem)
        return problem

    def flat(self) -> list[tuple[int | None, str | None, str]]:
        """[(row, column, code), …] — what tests assert on."""
        return [(p.row, p.column, p.code) for p in self.problems]


def column_letter(index: int) -> str:
    """0 → 'A', 25 → 'Z', 26 → 'AA': the column as Excel shows it."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_number(letters: str | bytes) -> int:
    """'A' → 1, 'AA' → 27 (b'XFD' → 16384): a cell reference's column, 1-based."""
    n = 0
    for ch in letters.encode() if isinstance(letters, str) else letters:
        n = n * 26 + ch - 64
    return n


class ShequError(Exception):
    """Work that cannot go on (no database, a bad argument); carries a user message and an exit code."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
