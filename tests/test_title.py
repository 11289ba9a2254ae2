import pytest

from pipeline.title import find_title, parse_title
from pipeline.types import TextLine


def _lines(*texts):
    return [TextLine(t, (0, i * 20, 100, i * 20 + 15)) for i, t in enumerate(texts)]


@pytest.mark.parametrize("lines,agency,year", [
    (("- 1 -", "淮安市人民政府", "2024 年政府信息公开工作年度报告", "本报告由…"), "淮安市人民政府", 2024),
    (("2023年淮安市洪泽区人民政府政府信息公开工作年度报告",), "淮安市洪泽区人民政府", 2023),
    (("上海市人民政府办公厅2019年政府信息", "公开工作年度报告"), None, None),
    (("广州市荔湾区政务服务数据管理局 2021 年 政府信息公开工作年度报告",), "广州市荔湾区政务服务数据管理局", 2021),
])
def test_agency_and_year_from_title(lines, agency, year):
    ls = _lines(*lines)
    got = parse_title(find_title(ls), ls)
    if agency is None:       # a title broken mid-phrase: agency and year still come from both lines
        assert got == ("上海市人民政府办公厅", 2019)
    else:
        assert got == (agency, year)


def test_year_falls_back_to_statistics_period():
    ls = _lines("某某局政府信息公开工作年度报告", "报告所列统计期限自 2022 年 1 月 1 日至 2022 年 12 月 31 日。")
    assert parse_title(find_title(ls), ls) == ("某某局", 2022)


def test_ocr_title_with_a_plausible_other_agency_is_uncertain():
    from pipeline.title import title_is_uncertain
    sure = [TextLine("准安市人民政府", (0, 0, 100, 15), 0.97),
            TextLine("2024年政府信息公开工作年度报告", (0, 20, 100, 35), 0.98, alternatives=[("2024年政府信息公开工作年度报告。", 0.2)])]
    assert not title_is_uncertain(sure, 0.9)        # an alternative that names the same agency
    doubt = [TextLine("准安市人民政府", (0, 0, 100, 15), 0.97, alternatives=[("淮安市人民政府", 0.3)]),
             sure[1]]
    assert title_is_uncertain(doubt, 0.9)
    low = [TextLine("淮安市人民政府2024年政府信息公开工作年度报告", (0, 0, 100, 15), 0.6)]
    assert title_is_uncertain(low, 0.9)


_PREFACE = ("本报告根据《中华人民共和国政府信息公开条例》和《关于印发〈中华人民共和国政府信息公开工作"
            "年度报告格式〉的通知》要求编制。")


@pytest.mark.parametrize("lines", [
    # wrapped inside a word, and the preface that cites 《…工作年度报告格式》 below it
    ("北京市朝阳区人民政府2023年政府信息公开工作年", "度报告", _PREFACE),
    ("北京市朝阳区人民政府2023年政府信息公开工作年度报", "告", _PREFACE),
    ("北京市朝阳区人民政府2023年政府信息公开工作年度", "报告", _PREFACE),
    ("北京市朝阳区人民政府", "2023年政府信息公开工作年", "度报告", _PREFACE),
    # agency and year on lines of their own, the year above or below
    ("- 1 -", "北京市朝阳区人民政府", "2023年政府信息公开工作年度报告", _PREFACE),
    ("2023年", "北京市朝阳区人民政府", "政府信息公开工作年度报告", _PREFACE),
    ("2023年度", "北京市朝阳区人民政府政府信息公开工作年度报告", _PREFACE),
    ("北京市朝阳区人民政府政府信息公开工作年度报告", "（2023年度）", _PREFACE),
    ("（2023年度）", "北京市朝阳区人民政府政府信息公开工作年度报告", _PREFACE),
    # the agency's name itself wrapped; 关于…的报告
    ("- 1 -", "北京市朝阳区", "人民政府", "2023年政府信息公开工作年度报告", _PREFACE),
    ("北京市朝阳区人民政府关于2023年", "政府信息公开工作年度报告的报告", _PREFACE),
    # an OCR tool's layer that sets the year's digits apart from its 年, on the line or above it
    ("北京市朝阳区人民政府 2023", "年政府信息公开工作年度报告", _PREFACE),
    ("北京市朝阳区人民政府", "2023", "年政府信息公开工作年度报告", _PREFACE),
    # "2023年度政府信息公开工作报告", as some agencies word it, whole or wrapped
    ("北京市朝阳区人民政府", "2023年度政府信息公开工作报告", _PREFACE),
    ("北京市朝阳区人民政府2023年度政府信息公开工", "作报告", _PREFACE),
])
def test_wrapped_and_two_line_titles(lines):
    ls = _lines(*lines)
    assert parse_title(find_title(ls), ls) == ("北京市朝阳区人民政府", 2023)


def test_a_prose_line_citing_the_template_is_not_a_title():
    ls = _lines("某某内容", _PREFACE)
    assert find_title(ls) is None


def test_a_line_below_in_another_size_does_not_join_a_complete_title():
    ls = [TextLine("某某局办公室", (0, 0, 300, 10)),          # small print, far above
          TextLine("北京市朝阳区人民政府2023年政府信息公开工作年度报告", (0, 60, 400, 80))]
    assert parse_title(find_title(ls), ls) == ("北京市朝阳区人民政府", 2023)


def test_title_complete_once_its_lines_and_the_two_below_are_read():
    """The scan reader reads a page's top a few lines at a time and stops here: the lines read so
    far must already give what all of them would."""
    from pipeline.title import title_complete
    whole = ("淮安市人民政府", "2024 年政府信息公开工作年度报告", "（2024年度）", "本报告由…", "一、总体情况")
    assert not title_complete(_lines(*whole[:1]))
    assert not title_complete(_lines(*whole[:2]))       # a year might stand on the next lines
    assert not title_complete(_lines(*whole[:3]))
    assert title_complete(_lines(*whole[:4]))
    # No year in the title: read on to the statistics period.
    no_year = ("某某局政府信息公开工作年度报告", "本报告由某某局编制。", "全文包括…")
    assert not title_complete(_lines(*no_year))
    assert title_complete(_lines(*no_year, "报告所列统计期限自 2022 年 1 月 1 日至 2022 年 12 月 31 日。"))
    # Prose that cites the template's name is no title.
    assert not title_complete(_lines("根据《中华人民共和国政府信息公开工作年度报告格式》，", "现将…", "…", "…"))


def test_a_line_beside_the_title_is_not_part_of_it():
    """Two pages scanned to one sheet: the right page's table header lies between the left page's
    agency and its title line in reading order. Beside the title, not above it, it is left out
    (it came out as the agency, unflagged)."""
    ls = [TextLine("佛山市顺德区人民政府", (120, 100, 300, 118)),
          TextLine("本年处理决定数量", (700, 112, 860, 126)),
          TextLine("2021年政府信息公开工作年度报告", (60, 130, 360, 148)),
          TextLine("信息内容", (650, 140, 720, 154))]
    assert parse_title(find_title(ls), ls) == ("佛山市顺德区人民政府", 2021)
