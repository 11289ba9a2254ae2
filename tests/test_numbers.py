import pytest

from pipeline.numbers import as_figures, parse_value


@pytest.mark.parametrize("text,value", [
    ("3001", 3001), ("０１２", 12), ("-18", -18), ("－18", -18), ("1,234", 1234),
    ("3 985 758", 3985758), ("96171.6", 96171.6), ("3802895.90元", 3802895.9),
    ("7730.28万元", 7730.28), ("96171.6 万元", 96171.6), ("0", 0),
    ("396条", 396), ("12 份", 12), ("3次", 3), ("5件", 5),
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


@pytest.mark.parametrize("text,value,note", [
    ("22（其中修订16件）", 22, "其中修订16件"), ("55（含自然失效29件）", 55, "含自然失效29件"),
    ("3（件）", 3, "件"), ("22(其中修订16件)", 22, "其中修订16件"),
    # a note wrapped in its cell: the reader joins the lines with a space
    ("22 （其中修订 16件）", 22, "其中修订16件"), ("22件（其中修订16件）", 22, "其中修订16件"),
    ("1,234（含废止3件）", 1234, "含废止3件"), ("０（无）", 0, "无"),
])
def test_a_value_with_a_note_is_its_leading_number(text, value, note):
    parsed = parse_value(text)
    assert (parsed.kind, parsed.value, parsed.note) == ("number", value, note)
    assert type(parsed.value) is type(value)


@pytest.mark.parametrize("text", ["1（2）3", "1（2）", "1（O）", "3 4（件）", "第3（件）", "(18)",
                                  "（件）", "—（无）", "22（其中（修订）16件）", "22（其中修订16件",
                                  "22（其中修订16件）件"])
def test_a_note_never_makes_a_damaged_value_readable(text):
    parsed = parse_value(text)
    assert parsed.kind == "unreadable" and parsed.value is None


def test_plain_values_have_no_note():
    assert parse_value("22").note is None and parse_value("/").note is None


def test_the_note_follows_the_reading_chosen():
    from pipeline.numbers import read_number
    parsed, confidence = read_number("22（其中修订16件）", 0.9, [("22", 0.05)])
    assert parsed.value == 22 and parsed.note == "其中修订16件"
    assert confidence == pytest.approx(0.95)


def test_a_number_read_with_letters_for_digits_is_figures():
    """Spacing a table drawn with no rule finds its rows by their figures: a 0 the recognizer
    read "O" is one, where the whole reading is a number; words stay as they are."""
    assert as_figures("O") == "0"
    assert as_figures("1O5") == "105"
    assert as_figures("要求提供") == "要求提供"
    assert as_figures("O型") == "O型"
