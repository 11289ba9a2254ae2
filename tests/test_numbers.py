import pytest

from pipeline.numbers import parse_value


@pytest.mark.parametrize("text,value", [
    ("3001", 3001), ("０１２", 12), ("-18", -18), ("－18", -18), ("1,234", 1234),
    ("3 985 758", 3985758), ("96171.6", 96171.6), ("3802895.90元", 3802895.9),
    ("7730.28万元", 7730.28), ("96171.6 万元", 96171.6), ("0", 0),
])
def test_numbers_read_as_printed(text, value):
    parsed = parse_value(text)
    assert parsed.kind == "number"
    assert parsed.value == value
    assert type(parsed.value) is type(value)


@pytest.mark.parametrize("text", ["", "/", "—", "无", "－", " "])
def test_blank_marks_are_null_and_certain(text):
    assert parse_value(text).kind == "blank"
    assert parse_value(text).value is None


@pytest.mark.parametrize("text", ["3 4", "1O", "12a", "44 7", "第3页", "3-"])
def test_damaged_numbers_are_unreadable_not_guessed(text):
    parsed = parse_value(text)
    assert parsed.kind == "unreadable"
    assert parsed.value is None
