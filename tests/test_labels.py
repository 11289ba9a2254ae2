from pipeline import template as T
from pipeline.labels import norm, similarity, similarity_bound


def test_variants_normalise_to_one_spelling():
    assert norm("1、申请人无正当理由") == norm("1.申请人无正当理由")
    assert norm("(一)予以公开") == norm("（一）予以公开")
    assert norm("商 业 企\n业") == "商业企业"
    assert norm("3.危及\"三安全一稳定\"") == norm("3.危及“三安全一稳定”")


def test_typo_still_close_to_template_label():
    assert similarity("2.其他法律行政止公开", "2.其他法律行政法规禁止公开") > 0.75
    assert similarity("1.属于国家秘密", "2.重复申请") < 0.4


def test_bound_is_never_under_the_similarity():
    """The row alignment skips pairings by the bound alone: it must never be lower."""
    labels = [r.label for r in (*T.APPLICATION_ROWS_SPLIT, *T.APPLICATION_ROWS_UNSPLIT)]
    printed = ["2.其他法律行政止公开", "（七）总计", "1、本机关不掌握相关政府", "四、结转下年度继续办理", "o", "合计"]
    pairs = [(a, b) for a in printed + labels[:12] for b in labels]
    assert all(similarity_bound(a, b) >= similarity(a, b) for a, b in pairs)
    assert any(similarity_bound(a, b) > similarity(a, b) for a, b in pairs)
