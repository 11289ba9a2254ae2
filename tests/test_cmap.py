"""ToUnicode CMaps (pipeline/cmap.py) read and written: bfchar and bfrange (incrementing and array
forms), 1- and 2-byte codes, targets outside the BMP (UTF-16 surrogate pairs) and several
characters per code. Expected values are written out by hand from PDF 32000 9.10.3."""
from __future__ import annotations

import re

import pikepdf

from pipeline.cmap import ToUnicodeMap, build_tounicode, parse_tounicode

HEAD = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
"""
TAIL = b"""endcmap
CMapName currentdict /CMap defineresource pop
end
end
"""


def cmap(body: bytes, codespace: bytes = b"<0000> <FFFF>") -> bytes:
    return HEAD + b"1 begincodespacerange\n" + codespace + b"\nendcodespacerange\n" + body + TAIL


def test_bfchar_two_byte_codes():
    parsed = parse_tounicode(cmap(b"3 beginbfchar\n<0003> <0031>\n<0010> <4E2D>\n<01A2> <3001>\nendbfchar\n"))
    assert parsed.code_length == 2
    assert parsed.codespace == [(b"\x00\x00", b"\xff\xff")]
    assert parsed.mapping == {0x0003: "1", 0x0010: "中", 0x01A2: "、"}


def test_bfchar_one_byte_codes():
    parsed = parse_tounicode(cmap(b"2 beginbfchar\n<20> <0020>\n<41> <0058>\nendbfchar\n", b"<00> <FF>"))
    assert parsed.code_length == 1
    assert parsed.mapping == {0x20: " ", 0x41: "X"}


def test_bfrange_incrementing_and_array_forms():
    body = (b"3 beginbfrange\n"
            b"<0010> <0019> <0030>\n"                       # ten codes -> 0..9
            b"<0020> <0022> [<4E00> <4E8C> <4E09>]\n"       # three codes, each its own target
            b"<00FE> <0101> <FF10>\n"                       # crosses a low-byte boundary of codes
            b"endbfrange\n")
    parsed = parse_tounicode(cmap(body))
    assert parsed.mapping == {**{0x10 + i: str(i) for i in range(10)},
                              0x20: "一", 0x21: "二", 0x22: "三",
                              0xFE: "０", 0xFF: "１", 0x100: "２", 0x101: "３"}


def test_hex_with_spaces_and_lowercase():
    parsed = parse_tounicode(cmap(b"1 beginbfchar\n<00 0a> <4e 2d>\nendbfchar\n"
                                  b"1 beginbfrange\n<000b> <000c> [<4e2d> <56fd>]\nendbfrange\n"))
    assert parsed.mapping == {0x0A: "中", 0x0B: "中", 0x0C: "国"}


def test_targets_outside_the_bmp_and_several_characters():
    body = (b"2 beginbfchar\n"
            b"<0001> <D840DC0B>\n"                  # U+2000B as a surrogate pair
            b"<0002> <00660069>\n"                  # the ligature fi: two characters
            b"endbfchar\n"
            b"2 beginbfrange\n"
            b"<0005> <0007> <D840DC0B>\n"           # U+2000B, U+2000C, U+2000D
            b"<0008> <0009> [<D83DDE00> <0041>]\n"  # U+1F600, then A
            b"endbfrange\n")
    parsed = parse_tounicode(cmap(body))
    assert parsed.mapping == {1: "\U0002000B", 2: "fi", 5: "\U0002000B", 6: "\U0002000C",
                              7: "\U0002000D", 8: "\U0001F600", 9: "A"}
    assert len(parsed.mapping[1]) == 1             # one character, not two halves


def test_build_two_byte_codes_with_surrogates():
    built = build_tounicode(ToUnicodeMap(2, [], {0x0003: "1", 0x0001: "\U0002000B", 0x0002: "fi"}))
    text = built.decode("ascii")
    assert "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange" in text
    assert "3 beginbfchar\n<0001> <D840DC0B>\n<0002> <00660069>\n<0003> <0031>\nendbfchar" in text
    assert "beginbfrange" not in text


def test_build_one_byte_codes():
    built = build_tounicode(ToUnicodeMap(1, [(b"\x00", b"\xff")], {0x41: "X", 0x20: " "}))
    text = built.decode("ascii")
    assert "<00> <FF>" in text
    assert "2 beginbfchar\n<20> <0020>\n<41> <0058>\nendbfchar" in text


def test_build_blocks_of_at_most_100():
    mapping = {code: chr(0x4E00 + code) for code in range(250)}
    text = build_tounicode(ToUnicodeMap(2, [], mapping)).decode("ascii")
    assert re.findall(r"(\d+) beginbfchar", text) == ["100", "100", "50"]
    assert text.count("endbfchar") == 3


def test_round_trip():
    original = ToUnicodeMap(2, [(b"\x00\x00", b"\xff\xff")],
                            {0: " ", 7: "中", 0x1234: "\U0002000B", 0xFFFF: "fi"})
    again = parse_tounicode(build_tounicode(original))
    assert again == original
    one = ToUnicodeMap(1, [(b"\x00", b"\xff")], {0x30 + i: str(i) for i in range(10)})
    assert parse_tounicode(build_tounicode(one)) == one


def test_real_report_maps_survive_a_rewrite(real_pdf):
    """Every ToUnicode map of the real report, parsed, written and parsed again, is unchanged, and
    holds the digits its tables print."""
    maps = []
    with pikepdf.open(real_pdf) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and "/ToUnicode" in obj:
                maps.append(parse_tounicode(obj.ToUnicode.read_bytes()))
    assert maps
    for parsed in maps:
        assert parse_tounicode(build_tounicode(parsed)) == parsed
    assert set("0123456789") <= {c for m in maps for text in m.mapping.values() for c in text}
