"""The national annual-report template as data (../shared/spec/report-template.md).

One definition read by matching, checks, exports and the sample renderer. Labels are verbatim
(full-width punctuation as the template prints them); ids are the project's stable keys.
"""
from __future__ import annotations

from dataclasses import dataclass, field

VERSIONS = ("2021", "2019")

TABLE_ACTIVE = "active"
TABLE_APPLICATIONS = "applications"
TABLE_REVIEW = "review"
TABLES = (TABLE_ACTIVE, TABLE_APPLICATIONS, TABLE_REVIEW)

SECTION_TITLES = {
    TABLE_ACTIVE: "二、主动公开政府信息情况",
    TABLE_APPLICATIONS: "三、收到和处理政府信息公开申请情况",
    TABLE_REVIEW: "四、政府信息公开行政复议、行政诉讼情况",
}
SECTIONS = (
    "一、总体情况",
    SECTION_TITLES[TABLE_ACTIVE],
    SECTION_TITLES[TABLE_APPLICATIONS],
    SECTION_TITLES[TABLE_REVIEW],
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
)
SECTION_FIVE_2019 = "五、政府信息公开工作存在的主要问题及改进情况"


@dataclass(frozen=True)
class Column:
    id: str
    label: str


@dataclass(frozen=True)
class Row:
    id: str
    label: str                      # the row's own (innermost) label
    parents: tuple[str, ...] = ()   # labels of the merged parent cells, outermost first


@dataclass(frozen=True)
class Block:
    """One 第二十条第（N）项 block of table `active`: heading row, header row, data rows."""
    heading: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class TableSpec:
    id: str
    version: str
    columns: tuple[Column, ...]           # all column ids of the table, in print order
    rows: tuple[Row, ...]                 # all row ids, in print order
    blocks: tuple[Block, ...] = ()        # only table `active`
    row_columns: dict = field(default_factory=dict)  # row id -> column ids it has (active)


def _cols(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(i, label) for i, label in pairs)


# --- table `active` ---------------------------------------------------------------------------

_ACTIVE_2021_COLS_RULES = _cols(("issued", "本年制发件数"), ("repealed", "本年废止件数"),
                                ("in_force", "现行有效件数"))
_ACTIVE_DECISIONS_2021 = _cols(("decisions", "本年处理决定数量"))
_ACTIVE_FEES_2021 = _cols(("amount", "本年收费金额（单位：万元）"))

_ACTIVE_2019_COLS_RULES = _cols(("new_made", "本年新制作数量"), ("new_published", "本年新公开数量"),
                                ("total_published", "对外公开总数量"))
_ACTIVE_2019_COLS_ITEMS = _cols(("prev_items", "上一年项目数量"), ("change", "本年增/减"),
                                ("decisions", "处理决定数量"))
_ACTIVE_2019_COLS_FEES = _cols(("prev_items", "上一年项目数量"), ("change", "本年增/减"))
_ACTIVE_2019_COLS_PROCUREMENT = _cols(("items", "采购项目数量"), ("amount", "采购总金额"))

ACTIVE_BLOCKS = {
    "2021": (
        Block("第二十条第（一）项", _ACTIVE_2021_COLS_RULES,
              (Row("20.1/rules", "规章"), Row("20.1/normative", "行政规范性文件"))),
        Block("第二十条第（五）项", _ACTIVE_DECISIONS_2021, (Row("20.5/licensing", "行政许可"),)),
        Block("第二十条第（六）项", _ACTIVE_DECISIONS_2021,
              (Row("20.6/penalty", "行政处罚"), Row("20.6/enforcement", "行政强制"))),
        Block("第二十条第（八）项", _ACTIVE_FEES_2021, (Row("20.8/fees", "行政事业性收费"),)),
    ),
    "2019": (
        Block("第二十条第（一）项", _ACTIVE_2019_COLS_RULES,
              (Row("20.1/rules", "规章"), Row("20.1/normative", "规范性文件"))),
        Block("第二十条第（五）项", _ACTIVE_2019_COLS_ITEMS,
              (Row("20.5/licensing", "行政许可"), Row("20.5/other_services", "其他对外管理服务事项"))),
        Block("第二十条第（六）项", _ACTIVE_2019_COLS_ITEMS,
              (Row("20.6/penalty", "行政处罚"), Row("20.6/enforcement", "行政强制"))),
        Block("第二十条第（八）项", _ACTIVE_2019_COLS_FEES, (Row("20.8/fees", "行政事业性收费"),)),
        Block("第二十条第（九）项", _ACTIVE_2019_COLS_PROCUREMENT,
              (Row("20.9/procurement", "政府集中采购"),)),
    ),
}
ACTIVE_HEADER_FIRST = "信息内容"

# --- table `applications` ---------------------------------------------------------------------

APPLICATIONS_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANT_GROUP = "申请人情况"
ORG_GROUP = "法人或其他组织"
APPLICATION_COLUMNS = _cols(
    ("natural_person", "自然人"), ("enterprise", "商业企业"), ("research", "科研机构"),
    ("public_interest", "社会公益组织"), ("legal_service", "法律服务机构"), ("other_org", "其他"),
    ("total", "总计"),
)
APPLICANT_PART_COLUMNS = tuple(c.id for c in APPLICATION_COLUMNS[:-1])

_P3 = "三、本年度办理结果"
_P33 = "（三）不予公开"
_P34 = "（四）无法提供"
_P35 = "（五）不予处理"
_P36 = "（六）其他处理"

_APPLICATION_ROWS_HEAD = (
    Row("1", "一、本年新收政府信息公开申请数量"),
    Row("2", "二、上年结转政府信息公开申请数量"),
    Row("3.1", "（一）予以公开", (_P3,)),
    Row("3.2", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", (_P3,)),
    Row("3.3.1", "1.属于国家秘密", (_P3, _P33)),
    Row("3.3.2", "2.其他法律行政法规禁止公开", (_P3, _P33)),
    Row("3.3.3", "3.危及“三安全一稳定”", (_P3, _P33)),
    Row("3.3.4", "4.保护第三方合法权益", (_P3, _P33)),
    Row("3.3.5", "5.属于三类内部事务信息", (_P3, _P33)),
    Row("3.3.6", "6.属于四类过程性信息", (_P3, _P33)),
    Row("3.3.7", "7.属于行政执法案卷", (_P3, _P33)),
    Row("3.3.8", "8.属于行政查询事项", (_P3, _P33)),
    Row("3.4.1", "1.本机关不掌握相关政府信息", (_P3, _P34)),
    Row("3.4.2", "2.没有现成信息需要另行制作", (_P3, _P34)),
    Row("3.4.3", "3.补正后申请内容仍不明确", (_P3, _P34)),
    Row("3.5.1", "1.信访举报投诉类申请", (_P3, _P35)),
    Row("3.5.2", "2.重复申请", (_P3, _P35)),
    Row("3.5.3", "3.要求提供公开出版物", (_P3, _P35)),
    Row("3.5.4", "4.无正当理由大量反复申请", (_P3, _P35)),
    Row("3.5.5", "5.要求行政机关确认或重新出具已获取信息", (_P3, _P35)),
)
_APPLICATION_ROWS_SPLIT_SIX = (
    Row("3.6.1", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", (_P3, _P36)),
    Row("3.6.2", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        (_P3, _P36)),
    Row("3.6.3", "3.其他", (_P3, _P36)),
)
_APPLICATION_ROW_UNSPLIT_SIX = Row("3.6", _P36, (_P3,))
_APPLICATION_ROWS_TAIL = (
    Row("3.7", "（七）总计", (_P3,)),
    Row("4", "四、结转下年度继续办理"),
)
APPLICATION_ROWS_SPLIT = _APPLICATION_ROWS_HEAD + _APPLICATION_ROWS_SPLIT_SIX + _APPLICATION_ROWS_TAIL
APPLICATION_ROWS_UNSPLIT = _APPLICATION_ROWS_HEAD + (_APPLICATION_ROW_UNSPLIT_SIX,) + _APPLICATION_ROWS_TAIL
# Every row a document may print; matching picks split or unsplit （六） per document.
APPLICATION_ROWS_ALL = _APPLICATION_ROWS_HEAD + _APPLICATION_ROWS_SPLIT_SIX + (
    _APPLICATION_ROW_UNSPLIT_SIX,) + _APPLICATION_ROWS_TAIL

# --- table `review` ---------------------------------------------------------------------------

REVIEW_GROUPS = (("review", "行政复议"), ("suit_direct", "未经复议直接起诉"),
                 ("suit_after_review", "复议后起诉"))
REVIEW_OUTCOMES = (("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"),
                   ("pending", "尚未审结"), ("total", "总计"))
REVIEW_SUIT_GROUP = "行政诉讼"
REVIEW_COLUMNS = tuple(Column(f"{g}.{o}", label) for g, _ in REVIEW_GROUPS for o, label in REVIEW_OUTCOMES)
REVIEW_ROW = Row("all", "")


def table_spec(table: str, version: str, split_six: bool = True) -> TableSpec:
    """The rows and columns a document of `version` prints for `table`."""
    if version not in VERSIONS:
        raise ValueError(f"unknown template version {version!r}")
    if table == TABLE_ACTIVE:
        blocks = ACTIVE_BLOCKS[version]
        rows = tuple(r for b in blocks for r in b.rows)
        cols: list[Column] = []
        for b in blocks:
            cols += [c for c in b.columns if c not in cols]
        row_columns = {r.id: tuple(c.id for c in b.columns) for b in blocks for r in b.rows}
        return TableSpec(table, version, tuple(cols), rows, blocks, row_columns)
    if table == TABLE_APPLICATIONS:
        rows = APPLICATION_ROWS_SPLIT if split_six else APPLICATION_ROWS_UNSPLIT
        return TableSpec(table, version, APPLICATION_COLUMNS, rows)
    if table == TABLE_REVIEW:
        return TableSpec(table, version, REVIEW_COLUMNS, (REVIEW_ROW,))
    raise ValueError(f"unknown table {table!r}")


def cell_keys(version: str, split_six: bool = True) -> list[tuple[str, str, str]]:
    """(table, row, column) for every data cell a document of this version prints, in order."""
    keys = []
    for table in TABLES:
        spec = table_spec(table, version, split_six)
        for row in spec.rows:
            col_ids = spec.row_columns.get(row.id) or tuple(c.id for c in spec.columns)
            keys += [(table, row.id, c) for c in col_ids]
    return keys


def all_cell_keys() -> list[tuple[str, str, str]]:
    """Every (table, row, column) any version can print: the wide export's columns."""
    seen: dict[tuple[str, str, str], None] = {}
    for version in VERSIONS:
        for split in (True, False):
            for k in cell_keys(version, split):
                seen.setdefault(k, None)
    return list(seen)


def label_of(table: str, row: str, column: str) -> str:
    """Chinese label 'row › column' for headers of exports."""
    for version in VERSIONS:
        for split in (True, False):
            spec = table_spec(table, version, split)
            r = next((x for x in spec.rows if x.id == row), None)
            c = next((x for x in spec.columns if x.id == column), None)
            if r and c:
                if table == TABLE_REVIEW:
                    g = dict(REVIEW_GROUPS)[column.split(".")[0]]
                    return f"{g}›{c.label}"
                return "›".join((*r.parents, r.label, c.label))
    raise KeyError((table, row, column))


# --- accounting identities --------------------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    """lhs == rhs over cells of one table; each side a tuple of (row, column) keys."""
    table: str
    rule: str
    column: str            # the column the rule is reported against ('' for row rules)
    lhs: tuple[tuple[str, str], ...]
    rhs: tuple[tuple[str, str], ...]


def identities(row_ids: list[str]) -> list[Identity]:
    """The template's identities for a document whose `applications` table has these rows."""
    out: list[Identity] = []
    six = [r for r in row_ids if r == "3.6" or r.startswith("3.6.")]
    parts = ["3.1", "3.2"] + [r for r in row_ids if r.startswith(("3.3.", "3.4.", "3.5."))] + six
    parts_rule = "3.7 = 3.1+3.2+3.3.*+3.4.*+3.5.*+" + ("3.6" if six == ["3.6"] else "3.6.*")
    for col in APPLICATION_COLUMNS:
        out.append(Identity(TABLE_APPLICATIONS, "applications: 1+2 = 3.7+4", col.id,
                            (("1", col.id), ("2", col.id)), (("3.7", col.id), ("4", col.id))))
        out.append(Identity(TABLE_APPLICATIONS, f"applications: {parts_rule}", col.id,
                            (("3.7", col.id),), tuple((r, col.id) for r in parts)))
    for r in row_ids:
        out.append(Identity(TABLE_APPLICATIONS, f"applications: row {r} total = sum of applicants",
                            "total", ((r, "total"),), tuple((r, c) for c in APPLICANT_PART_COLUMNS)))
    for g, _ in REVIEW_GROUPS:
        out.append(Identity(TABLE_REVIEW, f"review: {g}.total = upheld+corrected+other+pending",
                            f"{g}.total", (("all", f"{g}.total"),),
                            tuple(("all", f"{g}.{o}") for o, _ in REVIEW_OUTCOMES[:-1])))
    return out
