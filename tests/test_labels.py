from pipeline.labels import norm, similarity


def test_variants_normalise_to_one_spelling():
    assert norm("1、申请人无正当理由") == norm("1.申请人无正当理由")
    assert norm("(一)予以公开") == norm("（一）予以公开")
    assert norm("商 业 企\n业") == "商业企业"
    assert norm("3.危及\"三安全一稳定\"") == norm("3.危及“三安全一稳定”")


def test_typo_still_close_to_template_label():
    assert similarity("2.其他法律行政止公开", "2.其他法律行政法规禁止公开") > 0.75
    assert similarity("1.属于国家秘密", "2.重复申请") < 0.4
