"""ToUnicode CMaps: read one into code -> text, write one back.

Only what a ToUnicode CMap holds (PDF 32000 9.10.3): codespace ranges, bfchar and bfrange entries.
A rewritten map lists every code as a bfchar entry, in blocks of at most 100 (the spec's limit
per block), so nothing of the old map's range structure has to survive the edit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(rb"<([0-9A-Fa-f\s]*)>|\[|\]")
_CODESPACE = re.compile(rb"begincodespacerange(.*?)endcodespacerange", re.S)
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)


@dataclass
class ToUnicodeMap:
    code_length: int                                   # bytes per code (1 simple, 2 Identity-H)
    codespace: list[tuple[bytes, bytes]] = field(default_factory=list)
    mapping: dict[int, str] = field(default_factory=dict)


def _tokens(block: bytes) -> list:
    """<hex> strings as bytes; '[' and ']' kept as markers (bfrange arrays)."""
    out: list = []
    for m in _TOKEN.finditer(block):
        if m.group(1) is not None:
            out.append(bytes.fromhex(re.sub(rb"\s", b"", m.group(1)).decode("ascii")))
        else:
            out.append(m.group(0).decode("ascii"))
    return out


def _utf16(raw: bytes) -> str:
    return raw.decode("utf-16-be", errors="replace")


def parse_tounicode(data: bytes) -> ToUnicodeMap:
    codespace: list[tuple[bytes, bytes]] = []
    for block in _CODESPACE.findall(data):
        toks = [t for t in _tokens(block) if isinstance(t, bytes)]
        codespace += list(zip(toks[0::2], toks[1::2]))
    mapping: dict[int, str] = {}
    for block in _BFCHAR.findall(data):
        toks = [t for t in _tokens(block) if isinstance(t, bytes)]
        for code, target in zip(toks[0::2], toks[1::2]):
            mapping[int.from_bytes(code, "big")] = _utf16(target)
    for block in _BFRANGE.findall(data):
        _read_bfrange(_tokens(block), mapping)
    code_length = len(codespace[0][0]) if codespace else 2
    return ToUnicodeMap(code_length, codespace, mapping)


def _read_bfrange(toks: list, mapping: dict[int, str]) -> None:
    i = 0
    while i + 2 < len(toks):
        low, high = int.from_bytes(toks[i], "big"), int.from_bytes(toks[i + 1], "big")
        i += 2
        if toks[i] == "[":
            i += 1
            code = low
            while i < len(toks) and toks[i] != "]":
                mapping[code] = _utf16(toks[i])
                code += 1
                i += 1
            i += 1
        else:
            base = toks[i]
            i += 1
            # The spec increments the last byte of the destination across the range; producers
            # (and pdfium) increment the last UTF-16 unit, which is the same for BMP targets.
            prefix, last = base[:-2], int.from_bytes(base[-2:], "big")
            for offset in range(high - low + 1):
                mapping[low + offset] = _utf16(prefix + ((last + offset) & 0xFFFF).to_bytes(2, "big"))


def build_tounicode(cmap: ToUnicodeMap) -> bytes:
    width = cmap.code_length
    codespace = cmap.codespace or [(b"\x00" * width, b"\xff" * width)]
    lines = [
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
        f"{len(codespace)} begincodespacerange",
        *(f"<{lo.hex().upper()}> <{hi.hex().upper()}>" for lo, hi in codespace),
        "endcodespacerange",
    ]
    entries = sorted(cmap.mapping.items())
    for start in range(0, len(entries), 100):
        chunk = entries[start:start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        for code, text in chunk:
            lines.append(f"<{code.to_bytes(width, 'big').hex().upper()}> "
                         f"<{text.encode('utf-16-be').hex().upper()}>")
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return ("\n".join(lines) + "\n").encode("ascii")
