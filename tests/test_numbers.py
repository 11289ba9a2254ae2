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


@pytest.mark.parametrize("text", ["3 4", "12a", "44 7", "第3页", "3-", "o0a"])
def test_damaged_numbers_are_unreadable_not_guessed(text):
    parsed = parse_value(text)
    assert parsed.kind == "unreadable"
    assert parsed.value is None


@pytest.mark.parametrize("text,value", [("O", 0), ("1O", 10), ("l2", 12), ("〇", 0)])
def test_letters_that_look_like_digits_in_a_number_are_digits(text, value):
    assert parse_value(text).value == value


def test_readings_of_one_value_pool_their_confidence():
    from pipeline.numbers import read_number
    parsed, confidence = read_number("0", 0.70, [("o", 0.16), ("O", 0.11), ("8", 0.02)])
    assert parsed.value == 0 and confidence == pytest.approx(0.97)
    parsed, confidence = read_number("3", 0.5, [("8", 0.45)])
    assert parsed.value == 3 and confidence == pytest.approx(0.5)
