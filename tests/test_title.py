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
