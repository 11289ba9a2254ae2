"""Render a synthetic annual report as a clean, text-layer PDF the way Word/WPS exports look.

Pure drawing: every random choice is made beforehand (Layout, ReportDoc), so the same inputs give
the same bytes (reportlab's invariant mode fixes dates and ids). Tables are drawn with real ruling
lines, one stroked rectangle per cell, merged cells as one rectangle, and embedded TrueType CJK
fonts so the text layer reads back exactly.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from pipeline.template import (
    ACTIVE_HEADER_FIRST, APPLICATION_COLUMNS, APPLICATIONS_CORNER, APPLICANT_GROUP, ORG_GROUP,
    REVIEW_GROUPS, REVIEW_OUTCOMES, REVIEW_SUIT_GROUP, SECTION_FIVE_2019, SECTION_TITLES, SECTIONS,
    TABLE_ACTIVE, TABLE_APPLICATIONS, TABLE_REVIEW, table_spec,
)

from .values import CellKey, ReportValues

log = logging.getLogger(__name__)

FONT_FILES = {
    "zenhei": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    "microhei": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    "uming": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
}
FOOTER_STYLES = ("dash", "di_ye", "di_ye_gong", "plain", "none")
PARENT_STYLES = ("stacked", "rotated", "wrapped")
TITLE_FORMS = ("wrap_word", "year_above", "year_below", "agency_wrap")
LABEL_VARIANTS = ("typo", "enum_dunhao", "enum_space", "halfwidth_parens", "forced_breaks",
                  "ascii_quotes", "spaced_total")
SHADES = {"gray": (0.85, 0.85, 0.85), "blue": (0.80, 0.86, 0.94), "dark": (0.27, 0.45, 0.77)}
# Print colours for emphasis (Layout.total_colour).
INKS = {"red": (0.85, 0.0, 0.0), "blue": (0.0, 0.2, 0.8)}
# Shades printed with white text (a table style's header: white on Word's dark blue accent).
LIGHT_PRINT_SHADES = {"dark"}
# The sides of a table's frame (x0, y0, x1, y1) each style leaves undrawn.
OPEN_SIDES = {"open_sides": (0, 2), "frameless": (0, 1, 2, 3)}
# The sides of every cell each style leaves undrawn: a table ruled by rows only (a web page's
# table with row borders, a Word table given horizontal borders only), or not ruled at all.
OPEN_EDGES = {"rows_only": (0, 2), "none": (0, 1, 2, 3)}
DOUBLE_GAP = 2.5

BBox = tuple[float, float, float, float]


def register_fonts() -> None:
    """Register the CJK TrueType fonts with reportlab (once; reportlab keeps a registry)."""
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, (path, index) in FONT_FILES.items():
        if name not in registered:
            if not Path(path).exists():
                raise FileNotFoundError(f"CJK font {path} missing: install fonts-wqy-zenhei, "
                                        "fonts-wqy-microhei, fonts-arphic-uming (make system-deps)")
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))


# --- what to draw -----------------------------------------------------------------------------

@dataclass
class Layout:
    """Every visual choice of one report."""
    body_font: str = "uming"
    heading_font: str = "zenhei"
    table_font: str = "uming"
    body_size: float = 12.0
    table_size: float = 8.5
    margin_x: float = 72.0
    margin_top: float = 72.0
    margin_bottom: float = 64.0
    footer: str = "dash"
    footer_alternate: bool = False          # page numbers at the outer edge, alternating sides
    title_two_lines: bool = False
    title_spaced_year: bool = False         # "某某局 2021 年 政府信息公开…", as some exports space it
    corner_diagonal: bool = False
    parent_style: str = "stacked"           # how 三、本年度办理结果 is written in its merged cell
    shade: Optional[str] = None             # header rows filled: None | gray | blue | dark (white text)
    repeat_header: bool = True              # repeat table 三's header on its continuation page
    applications_new_page: bool = False     # start table 三 on a fresh page (may then fit on one)
    review_landscape: bool = False
    active_separate_blocks: bool = False    # table 二 as one table per 第二十条 block
    active_heading_style: str = "joined"    # 第二十条第（一）项 | 第二十条 第（一）项 | half-width
    numbers_left: bool = False              # data cells left-aligned (table 二 of WPS exports)
    line_width: float = 0.6
    outer_line_width: float = 0.6
    table_width_frac: float = 1.0
    label_col_frac: float = 0.35            # table 三's label columns share of its width
    label_variants: tuple[str, ...] = ()
    total_colour: Optional[str] = None      # totals (总计 rows and columns) printed in red | blue
    # Forms of the label columns and titles some real reports print (all off by default):
    label_empty_cell: str = ""              # "" | right | left: （六）/（七）, 一/二/四 beside an empty, unmerged label cell
    label_split: bool = False               # a row label printed over two label cells
    block_first_row: bool = False           # （三）…（六） not merged: the block label in its first row only
    title_form: str = ""                    # "" | wrap_word | year_above | year_below | agency_wrap
    rule_style: str = ""                    # "" | double_frame: a second frame round each table, DOUBLE_GAP
                                            # outside it (Word's double border) | boxed_cells: each cell
                                            # framed again DOUBLE_GAP inside its rules (a web page's table)
                                            # | open_sides: no rule down the table's left and right sides
                                            # (Word's open-sided style) | rows_only: no column rule at all
                                            # | frameless: no rule round the table (Word's inside borders)
                                            # | none: no rule at all (a Word table with its borders off)


@dataclass
class ReportDoc:
    """One report's content: title, prose per section, values; the layout to draw it with."""
    name: str
    agency: str
    year: int
    title: str
    preface: list[str]
    sections: dict[str, list[str]]          # section heading -> paragraphs (prose only)
    values: ReportValues
    layout: Layout


@dataclass
class RenderResult:
    n_pages: int
    table_pages: dict[str, list[int]]
    cell_boxes: dict[CellKey, tuple[int, BBox]]   # page (1-based), bbox top-left origin, points
    features: list[str]


# --- label variants as real reports print them ------------------------------------------------

def vary_label(label: str, variants: tuple[str, ...]) -> str:
    """The label as this report prints it: typos, 1、 for 1., half-width parentheses, …"""
    out = label
    if "typo" in variants:
        out = out.replace("其他法律行政法规禁止公开", "其他法律行政止公开")
    if "enum_dunhao" in variants:
        out = _replace_enum(out, "、")
    elif "enum_space" in variants:
        out = _replace_enum(out, ". ")
    if "ascii_quotes" in variants:
        out = out.replace("“", '"').replace("”", '"')
    if "spaced_total" in variants and out.endswith("总计"):
        out = out[:-2] + "总  计"
    if "halfwidth_parens" in variants:
        out = out.replace("（", "(").replace("）", ")")
    if "forced_breaks" in variants and len(out) > 16:
        # Authors hit Enter inside long labels; the break lands mid-phrase.
        cut = len(out) // 2
        out = out[:cut] + "\n" + out[cut:]
    return out


def _replace_enum(label: str, sep: str) -> str:
    if len(label) > 2 and label[0].isdigit() and label[1] == ".":
        return label[0] + sep + label[2:]
    return label


# --- text measuring and wrapping --------------------------------------------------------------

_NO_LINE_START = set("，。、；：？！）》”’,.;:)%")


def text_width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def wrap_text(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy per-character wrapping (Chinese has no spaces); explicit newlines kept. Closing
    punctuation never starts a line: the character before it moves down with it, as word
    processors do, so no text overflows its box."""
    lines: list[str] = []
    for part in text.split("\n"):
        line = ""
        for ch in part:
            if not line or text_width(line + ch, font, size) <= width:
                line += ch
            elif ch in _NO_LINE_START and len(line) > 1:
                lines.append(line[:-1])
                line = line[-1] + ch
            else:
                lines.append(line)
                line = ch
        lines.append(line)
    return lines


# --- tables as data ---------------------------------------------------------------------------

@dataclass
class TCell:
    row: int
    col: int
    text: str = ""
    rowspan: int = 1
    colspan: int = 1
    align: str = "center"                   # center | left
    shaded: bool = False
    vertical: str = ""                      # "" | stacked | rotated
    diagonal: bool = False
    key: Optional[CellKey] = None           # the template data cell this cell prints


@dataclass
class Table:
    name: str                               # template table id
    col_widths: list[float]
    n_rows: int
    cells: list[TCell]
    header_rows: int
    font: str
    size: float
    padding: float = 3.0
    min_row_height: float = 18.0

    @property
    def width(self) -> float:
        return sum(self.col_widths)

    def col_x(self, col: int) -> float:
        return sum(self.col_widths[:col])


def _cell_width(table: Table, cell: TCell) -> float:
    return sum(table.col_widths[cell.col:cell.col + cell.colspan])


def _leading(table: Table) -> float:
    return table.size * 1.35


def _cell_lines(table: Table, cell: TCell) -> list[str]:
    if cell.vertical == "stacked":
        return _stack_chars(cell.text)
    if cell.vertical == "rotated":
        return [cell.text]
    return wrap_text(cell.text, table.font, table.size, _cell_width(table, cell) - 2 * table.padding)


def _stack_chars(text: str) -> list[str]:
    """One character per line; punctuation stays with the character before it (三、 / 本 / 年)."""
    lines: list[str] = []
    for ch in text.replace("\n", ""):
        if lines and ch in _NO_LINE_START | {"、"}:
            lines[-1] += ch
        else:
            lines.append(ch)
    return lines


def _needed_height(table: Table, cell: TCell) -> float:
    if cell.vertical == "rotated":
        return text_width(cell.text, table.font, table.size) + 4 * table.padding
    return len(_cell_lines(table, cell)) * _leading(table) + 2 * table.padding


def row_heights(table: Table) -> list[float]:
    heights = [table.min_row_height] * table.n_rows
    for cell in table.cells:
        if cell.rowspan == 1:
            heights[cell.row] = max(heights[cell.row], _needed_height(table, cell))
    for cell in table.cells:
        if cell.rowspan > 1:
            span = range(cell.row, cell.row + cell.rowspan)
            deficit = _needed_height(table, cell) - sum(heights[r] for r in span)
            if deficit > 0:
                for r in span:
                    heights[r] += deficit / cell.rowspan
    return heights


def paginate(heights: list[float], header_rows: int, first_space: float, page_space: float,
             repeat_header: bool) -> list[list[int]]:
    """Rows per page fragment; a fragment never ends before its first body row."""
    header = list(range(header_rows))
    fragments: list[list[int]] = []
    current, used, space = list(header), sum(heights[:header_rows]), first_space
    for r in range(header_rows, len(heights)):
        has_body = any(x >= header_rows for x in current)
        if has_body and used + heights[r] > space:
            fragments.append(current)
            current = list(header) if repeat_header else []
            used = sum(heights[:header_rows]) if repeat_header else 0.0
            space = page_space
        current.append(r)
        used += heights[r]
    fragments.append(current)
    return fragments


# --- the page writer --------------------------------------------------------------------------

class PageWriter:
    """A flowing cursor over pages: y grows downwards from the top of the page."""

    def __init__(self, path: Path, layout: Layout, total_pages: Optional[int]):
        self.layout = layout
        self.canvas = canvas.Canvas(str(path), pagesize=A4, invariant=1, pageCompression=1)
        self.page = 1
        self.page_w, self.page_h = A4
        self.y = layout.margin_top
        self.total_pages = total_pages
        self.landscape_pages: list[int] = []

    @property
    def content_width(self) -> float:
        return self.page_w - 2 * self.layout.margin_x

    @property
    def bottom(self) -> float:
        return self.page_h - self.layout.margin_bottom

    @property
    def space_left(self) -> float:
        return self.bottom - self.y

    def rl_y(self, y: float) -> float:
        return self.page_h - y

    def new_page(self, landscape_page: bool = False) -> None:
        self._footer()
        self.canvas.showPage()
        self.page += 1
        size = landscape(A4) if landscape_page else A4
        self.canvas.setPageSize(size)
        self.page_w, self.page_h = size
        if landscape_page:
            self.landscape_pages.append(self.page)
        self.y = self.layout.margin_top

    def close(self) -> int:
        self._footer()
        self.canvas.showPage()
        self.canvas.save()
        return self.page

    def _footer(self) -> None:
        style = self.layout.footer
        if style == "none":
            return
        n = self.page
        text = {"dash": f"- {n} -", "di_ye": f"第 {n} 页", "plain": f"{n}",
                "di_ye_gong": f"第 {n} 页 共 {self.total_pages or 0} 页"}[style]
        c = self.canvas
        c.setFont(self.layout.body_font, 10.5)
        c.setFillColorRGB(0, 0, 0)
        y = self.page_h - self.layout.margin_bottom / 2
        if self.layout.footer_alternate:
            if n % 2:
                c.drawRightString(self.page_w - self.layout.margin_x, self.rl_y(y), text)
            else:
                c.drawString(self.layout.margin_x, self.rl_y(y), text)
        else:
            c.drawCentredString(self.page_w / 2, self.rl_y(y), text)

    # --- flowing text ---

    def text_line(self, text: str, font: str, size: float, x: float, leading: float,
                  align: str = "left", bold: bool = False) -> None:
        if self.y + leading > self.bottom:
            self.new_page()
        c = self.canvas
        c.setFillColorRGB(0, 0, 0)
        c.setStrokeColorRGB(0, 0, 0)
        baseline = self.rl_y(self.y + leading * 0.5 + size * 0.35)
        x0 = x - text_width(text, font, size) / 2 if align == "center" else x
        c.saveState()   # the render mode and line width of faux bold must not leak
        t = c.beginText(x0, baseline)
        t.setFont(font, size)
        if bold:
            # Faux bold as word processors do for fonts without a bold face: fill + thin stroke.
            c.setLineWidth(size * 0.03)
            t.setTextRenderMode(2)
        t.textOut(text)
        c.drawText(t)
        c.restoreState()
        self.y += leading

    def paragraph(self, text: str, font: str, size: float, indent_chars: float = 2.0,
                  leading_factor: float = 1.75) -> None:
        indent = "\u3000" * int(indent_chars)
        lines = wrap_text(indent + text, font, size, self.content_width)
        for line in lines:
            self.text_line(line, font, size, self.layout.margin_x, size * leading_factor)

    def heading(self, text: str, size: float, keep_with: float = 0.0) -> None:
        leading = size * 2.0
        if self.y + leading + keep_with > self.bottom:
            self.new_page()
        self.text_line(text, self.layout.heading_font, size, self.layout.margin_x, leading, bold=True)


# --- drawing tables ---------------------------------------------------------------------------

def _draw_cell_text(w: PageWriter, table: Table, cell: TCell, rect: BBox) -> None:
    x0, y0, x1, y1 = rect
    c = w.canvas
    c.setFont(table.font, table.size)
    if cell.shaded and w.layout.shade in LIGHT_PRINT_SHADES:
        c.setFillColorRGB(1, 1, 1)
    elif w.layout.total_colour and cell.key is not None and is_total(cell.key):
        c.setFillColorRGB(*INKS[w.layout.total_colour])
    else:
        c.setFillColorRGB(0, 0, 0)
    if cell.vertical == "rotated":
        c.saveState()
        c.translate((x0 + x1) / 2, w.rl_y((y0 + y1) / 2))
        c.rotate(-90)   # clockwise: the text reads top to bottom, as WPS 文字方向 does
        c.drawCentredString(0, -table.size * 0.35, cell.text)
        c.restoreState()
        return
    lines = _cell_lines(table, cell)
    leading = _leading(table)
    top = y0 + ((y1 - y0) - leading * len(lines)) / 2
    for i, line in enumerate(lines):
        baseline = w.rl_y(top + leading * i + leading * 0.5 + table.size * 0.35)
        if cell.align == "left":
            c.drawString(x0 + table.padding, baseline, line)
        else:
            c.drawCentredString((x0 + x1) / 2, baseline, line)


def is_total(key: CellKey) -> bool:
    """Whether a data cell is a total: of a 总计 row or column (Layout.total_colour)."""
    _, row, column = key
    return row in ("3.7", "total") or column == "total" or column.endswith(".total")


def _stroke_rect(w: PageWriter, rect: BBox, line_width: float) -> None:
    x0, y0, x1, y1 = rect
    c = w.canvas
    c.setLineWidth(line_width)
    c.setStrokeColorRGB(0, 0, 0)
    c.rect(x0, w.rl_y(y1), x1 - x0, y1 - y0, stroke=1, fill=0)


def _stroke_edges(w: PageWriter, rect: BBox, line_width: float, frame: BBox, open_sides: tuple[int, ...],
                  open_edges: tuple[int, ...] = ()) -> None:
    """A cell's four edges, but those on the sides of the table's frame left open (indices of
    the frame's x0, y0, x1, y1) and those of every cell left open (`open_edges`, the same
    indices); with none open, its rectangle."""
    if not open_sides and not open_edges:
        _stroke_rect(w, rect, line_width)
        return
    x0, y0, x1, y1 = rect
    c = w.canvas
    c.setLineWidth(line_width)
    c.setStrokeColorRGB(0, 0, 0)
    edges = ((0, x0, (x0, y0, x0, y1)), (1, y0, (x0, y0, x1, y0)), (2, x1, (x1, y0, x1, y1)), (3, y1, (x0, y1, x1, y1)))
    for side, at, (ax, ay, bx, by) in edges:
        if side in open_edges or (side in open_sides and abs(at - frame[side]) < 0.5):
            continue
        c.line(ax, w.rl_y(ay), bx, w.rl_y(by))


def _draw_fragment(w: PageWriter, table: Table, rows: list[int], heights: list[float], x_left: float,
                   text_fragment: dict[int, int], fragment_index: int,
                   on_cell: Callable[[TCell, int, BBox], None]) -> None:
    """One page's part of a table: `rows` (sorted) starting at the writer's y."""
    tops: dict[int, float] = {}
    y = w.y
    for r in rows:
        tops[r] = y
        y += heights[r]
    layout = w.layout
    drawn: list[tuple[TCell, BBox]] = []
    for idx, cell in enumerate(table.cells):
        covered = [r for r in range(cell.row, cell.row + cell.rowspan) if r in tops]
        if not covered:
            continue
        x0 = x_left + table.col_x(cell.col)
        rect = (x0, tops[covered[0]], x0 + _cell_width(table, cell), tops[covered[-1]] + heights[covered[-1]])
        if cell.shaded and layout.shade:
            w.canvas.setFillColorRGB(*SHADES[layout.shade])
            w.canvas.rect(rect[0], w.rl_y(rect[3]), rect[2] - rect[0], rect[3] - rect[1], stroke=0, fill=1)
        drawn.append((cell, rect))
        # A repeated header prints its text on every page; a split body cell on one part only.
        if cell.row < table.header_rows or text_fragment.get(idx, 0) == fragment_index:
            _draw_cell_text(w, table, cell, rect)
            on_cell(cell, w.page, rect)
    frame = (x_left, w.y, x_left + table.width, y)
    open_sides = OPEN_SIDES.get(layout.rule_style, ())
    open_edges = OPEN_EDGES.get(layout.rule_style, ())
    for cell, rect in drawn:
        _stroke_edges(w, rect, layout.line_width, frame, open_sides, open_edges)
        if layout.rule_style == "boxed_cells":
            g = DOUBLE_GAP
            _stroke_rect(w, (rect[0] + g, rect[1] + g, rect[2] - g, rect[3] - g), layout.line_width)
        if cell.diagonal:
            w.canvas.line(rect[0], w.rl_y(rect[1]), rect[2], w.rl_y(rect[3]))
    if layout.outer_line_width > layout.line_width:
        _stroke_edges(w, frame, layout.outer_line_width, frame, open_sides, open_edges)
    if layout.rule_style == "double_frame":
        g = DOUBLE_GAP
        _stroke_rect(w, (x_left - g, w.y - g, x_left + table.width + g, y + g), layout.line_width)
    w.y = y


def draw_table(w: PageWriter, table: Table, repeat_header: bool,
               on_cell: Callable[[TCell, int, BBox], None]) -> list[int]:
    """Draw a table at the cursor, breaking across pages; returns the pages it is on."""
    heights = row_heights(table)
    first_needed = sum(heights[:table.header_rows + 1])
    if first_needed > w.space_left:
        w.new_page()
    page_space = w.bottom - w.layout.margin_top
    fragments = paginate(heights, table.header_rows, w.space_left, page_space, repeat_header)
    text_fragment = _text_fragments(table, fragments, heights)
    x_left = (w.page_w - table.width) / 2
    pages = []
    for i, rows in enumerate(fragments):
        if i:
            w.new_page()
        pages.append(w.page)
        _draw_fragment(w, table, rows, heights, x_left, text_fragment, i, on_cell)
    return pages


def _text_fragments(table: Table, fragments: list[list[int]], heights: list[float]) -> dict[int, int]:
    """For each cell split across pages, the fragment holding its text: the taller part."""
    out: dict[int, int] = {}
    for idx, cell in enumerate(table.cells):
        span = set(range(cell.row, cell.row + cell.rowspan))
        best, best_h = 0, -1.0
        for i, rows in enumerate(fragments):
            h = sum(heights[r] for r in rows if r in span)
            if h > best_h + 1e-6:
                best, best_h = i, h
        out[idx] = best
    return out


# --- the three template tables ----------------------------------------------------------------

def _active_heading(heading: str, style: str) -> str:
    if style == "spaced":
        return heading.replace("条第", "条 第")
    if style == "halfwidth":
        return heading.replace("（", "(").replace("）", ")")
    return heading


def build_active_tables(values: ReportValues, layout: Layout, width: float) -> list[Table]:
    """Table 二: stacked 第二十条 blocks; one table, or one per block."""
    spec = table_spec(TABLE_ACTIVE, values.version)
    n_data = max(len(b.columns) for b in spec.blocks)
    label_w = width * 0.34
    col_widths = [label_w] + [(width - label_w) / n_data] * n_data
    align = "left" if layout.numbers_left else "center"
    tables: list[Table] = []
    cells: list[TCell] = []
    row = 0
    for block in spec.blocks:
        cells.append(TCell(row, 0, _active_heading(block.heading, layout.active_heading_style),
                           colspan=n_data + 1, align="left" if layout.numbers_left else "center",
                           shaded=True))
        cells.append(TCell(row + 1, 0, ACTIVE_HEADER_FIRST, align=align, shaded=True))
        _add_spread(cells, row + 1, [c.label for c in block.columns], n_data, align, shaded=True)
        row += 2
        for r in block.rows:
            cells.append(TCell(row, 0, vary_label(r.label, layout.label_variants), align=align))
            texts = [values.printed(TABLE_ACTIVE, r.id, c.id) for c in block.columns]
            keys = [(TABLE_ACTIVE, r.id, c.id) for c in block.columns]
            _add_spread(cells, row, texts, n_data, align, keys=keys)
            row += 1
        if layout.active_separate_blocks:
            tables.append(_shift_rows(Table(TABLE_ACTIVE, col_widths, row, cells, 0, layout.table_font,
                                            layout.table_size + 1, min_row_height=22.0)))
            cells, row = [], 0
    if not layout.active_separate_blocks:
        tables.append(Table(TABLE_ACTIVE, col_widths, row, cells, 0, layout.table_font,
                            layout.table_size + 1, min_row_height=22.0))
    return tables


def _shift_rows(table: Table) -> Table:
    first = min(c.row for c in table.cells)
    for c in table.cells:
        c.row -= first
    table.n_rows -= first
    return table


def _add_spread(cells: list[TCell], row: int, texts: list[str], n_cols: int, align: str,
                shaded: bool = False, keys: Optional[list[CellKey]] = None) -> None:
    """Texts in columns 1..; the last one spans what is left, as merged cells in real reports."""
    for i, text in enumerate(texts):
        span = n_cols - i if i == len(texts) - 1 else 1
        cells.append(TCell(row, 1 + i, text, colspan=span, align=align, shaded=shaded,
                           key=keys[i] if keys else None))


def build_applications_table(values: ReportValues, layout: Layout, width: float) -> Table:
    """Table 三: corner note, 申请人情况 headers, merged parent cells on the left."""
    spec = table_spec(TABLE_APPLICATIONS, values.version, values.split_six)
    size = layout.table_size
    labels_w = width * layout.label_col_frac
    c0 = size * (2.6 if layout.parent_style != "wrapped" else 4.2)
    c1 = size * 4.6
    c2 = max(labels_w - c0 - c1, size * 7)
    data_w = (width - c0 - c1 - c2) / 7
    col_widths = [c0, c1, c2] + [data_w] * 7
    v = layout.label_variants
    cells = [
        TCell(0, 0, vary_label(APPLICATIONS_CORNER, v), rowspan=3, colspan=3, align="left",
              shaded=True, diagonal=layout.corner_diagonal),
        TCell(0, 3, APPLICANT_GROUP, colspan=7, shaded=True),
        TCell(1, 3, APPLICATION_COLUMNS[0].label, rowspan=2, shaded=True),
        TCell(1, 4, ORG_GROUP, colspan=5, shaded=True),
        TCell(1, 9, vary_label(APPLICATION_COLUMNS[-1].label, v), rowspan=2, shaded=True),
    ]
    cells += [TCell(2, 4 + i, col.label, shaded=True) for i, col in enumerate(APPLICATION_COLUMNS[1:6])]
    header_rows = 3
    rows = spec.rows
    parent_runs = _parent_runs([r.parents for r in rows])
    for depth, start, length, label in parent_runs:
        vertical = layout.parent_style if depth == 0 and layout.parent_style != "wrapped" else ""
        if depth == 1 and layout.block_first_row:
            # Not merged: one cell per row, the block's label in the first only.
            cells += [TCell(header_rows + start + k, depth, vary_label(label, v) if k == 0 else "")
                      for k in range(length)]
            continue
        cells.append(TCell(header_rows + start, depth, vary_label(label, v), rowspan=length,
                           vertical=vertical))
    for i, r in enumerate(rows):
        cells += _row_label_cells(header_rows + i, r, layout)
        for j, col in enumerate(APPLICATION_COLUMNS):
            key = (TABLE_APPLICATIONS, r.id, col.id)
            cells.append(TCell(header_rows + i, 3 + j, values.printed(*key), key=key))
    return Table(TABLE_APPLICATIONS, col_widths, header_rows + len(rows), cells, header_rows,
                 layout.table_font, size)


def _row_label_cells(row: int, r, layout: Layout) -> list[TCell]:
    """A data row's own label cells: one cell spanning the label columns its parents leave, or
    the forms some reports print — the label beside an empty, unmerged cell, or over two cells."""
    v = layout.label_variants
    first_col = len(r.parents)
    label = vary_label(r.label, v)
    split = _split_label(label) if layout.label_split and first_col in (0, 1) else None
    if split and (first_col == 1 and r.id == "3.2" or first_col == 0):
        # （二）部分公开 | （区分处理的，…）; 一、本年新收 | 政府信息公开申请数量
        return [TCell(row, first_col, split[0], colspan=2 - first_col, align="left"),
                TCell(row, 2, split[1], align="left")]
    side = layout.label_empty_cell
    if side and (r.id in ("3.6", "3.7") or (first_col == 0 and side == "right")):
        if side == "right":
            return [TCell(row, first_col, label, colspan=2 - first_col, align="left"), TCell(row, 2, "")]
        return [TCell(row, 1, ""), TCell(row, 2, label, align="left")]
    return [TCell(row, first_col, label, colspan=3 - first_col, align="left")]


def _split_label(label: str) -> Optional[tuple[str, str]]:
    """Where a report cuts a label over two cells: before its bracketed part, else after its
    numbering and a few words."""
    flat = label.replace("\n", "")
    for mark in ("（区分", "(区分"):
        if mark in flat:
            at = flat.index(mark)
            return flat[:at], flat[at:]
    if flat.startswith(("一、", "二、", "四、")) and len(flat) > 8:
        return flat[:6], flat[6:]
    return None


def _parent_runs(parents: list[tuple[str, ...]]) -> list[tuple[int, int, int, str]]:
    """(depth, first row, row count, label) for each run of equal parent labels."""
    runs = []
    for depth in range(max(len(p) for p in parents)):
        start = None
        for i in range(len(parents) + 1):
            label = parents[i][depth] if i < len(parents) and len(parents[i]) > depth else None
            prev = parents[start][depth] if start is not None else None
            if label != prev:
                if start is not None:
                    runs.append((depth, start, i - start, prev))
                start = i if label is not None else None
    return runs


def build_review_table(values: ReportValues, layout: Layout, width: float) -> Table:
    """Table 四: 行政复议 | 行政诉讼 (未经复议直接起诉, 复议后起诉) headers and one data row."""
    v = layout.label_variants
    col_widths = [width / 15] * 15
    cells = [TCell(0, 0, REVIEW_GROUPS[0][1], colspan=5, shaded=True),
             TCell(0, 5, REVIEW_SUIT_GROUP, colspan=10, shaded=True),
             TCell(1, 5, REVIEW_GROUPS[1][1], colspan=5, shaded=True),
             TCell(1, 10, REVIEW_GROUPS[2][1], colspan=5, shaded=True)]
    for j, (_, label) in enumerate(REVIEW_OUTCOMES):
        cells.append(TCell(1, j, vary_label(label, v), rowspan=2, shaded=True))
        cells.append(TCell(2, 5 + j, vary_label(label, v), shaded=True))
        cells.append(TCell(2, 10 + j, vary_label(label, v), shaded=True))
    for j, col in enumerate(c for g, _ in REVIEW_GROUPS for c in (f"{g}.{o}" for o, _ in REVIEW_OUTCOMES)):
        key = (TABLE_REVIEW, "all", col)
        cells.append(TCell(3, j, values.printed(*key), key=key))
    return Table(TABLE_REVIEW, col_widths, 4, cells, 3, layout.table_font, layout.table_size,
                 min_row_height=24.0)


# --- the whole report -------------------------------------------------------------------------

def render_report(doc: ReportDoc, path: Path) -> RenderResult:
    """Write doc to path as a PDF; the page total (for 第 N 页 共 M 页) comes from a first pass."""
    register_fonts()
    total = None
    if doc.layout.footer == "di_ye_gong":
        total = _render(doc, path, None).n_pages
    result = _render(doc, path, total)
    log.debug("%s: %d pages, tables on %s", path.name, result.n_pages, result.table_pages)
    return result


def _render(doc: ReportDoc, path: Path, total_pages: Optional[int]) -> RenderResult:
    layout = doc.layout
    w = PageWriter(path, layout, total_pages)
    result = RenderResult(0, {}, {}, [])
    features: list[str] = []

    def record(cell: TCell, page: int, rect: BBox) -> None:
        if cell.key is not None:
            result.cell_boxes[cell.key] = (page, tuple(round(x, 2) for x in rect))

    _draw_title(w, doc)
    for para in doc.preface:
        w.paragraph(para, layout.body_font, layout.body_size)
    for heading in _section_headings(doc):
        table_id = next((t for t, h in SECTION_TITLES.items() if h == heading), None)
        if table_id == TABLE_REVIEW and layout.review_landscape:
            w.new_page(landscape_page=True)
            features.append("review_landscape")
        if table_id == TABLE_APPLICATIONS and layout.applications_new_page:
            w.new_page()
        w.heading(heading, layout.body_size + 2, keep_with=layout.body_size * 6)
        for para in doc.sections.get(heading, []):
            w.paragraph(para, layout.body_font, layout.body_size)
        if table_id is None:
            continue
        pages = _draw_template_table(w, doc, table_id, record)
        result.table_pages[table_id] = sorted(set(pages))
        if table_id == TABLE_APPLICATIONS:
            features.append(_applications_split_feature(pages, layout))
        if table_id == TABLE_ACTIVE and len(set(pages)) > 1:
            features.append("active_split_across_pages")
        w.y += layout.body_size
        if table_id == TABLE_REVIEW and layout.review_landscape:
            w.new_page()
    result.n_pages = w.close()
    result.features = features
    return result


def _applications_split_feature(pages: list[int], layout: Layout) -> str:
    if len(set(pages)) == 1:
        return "applications_one_page"
    return "applications_split_repeat_header" if layout.repeat_header else "applications_split_no_header"


def _draw_template_table(w: PageWriter, doc: ReportDoc, table_id: str,
                         record: Callable[[TCell, int, BBox], None]) -> list[int]:
    layout = doc.layout
    width = w.content_width * layout.table_width_frac
    if table_id == TABLE_ACTIVE:
        pages = []
        for i, table in enumerate(build_active_tables(doc.values, layout, width)):
            if i:
                w.y += layout.body_size * 0.8
            pages += draw_table(w, table, False, record)
        return pages
    if table_id == TABLE_APPLICATIONS:
        return draw_table(w, build_applications_table(doc.values, layout, width), layout.repeat_header, record)
    return draw_table(w, build_review_table(doc.values, layout, width), True, record)


def _section_headings(doc: ReportDoc) -> list[str]:
    headings = list(SECTIONS)
    if doc.values.version == "2019" and SECTION_FIVE_2019 in doc.sections:
        headings[4] = SECTION_FIVE_2019
    return headings


def title_lines(agency: str, year: int, layout: Layout, fits: Callable[[str], bool]) -> list[str]:
    """The title as printed, line by line; `fits` says whether a line fits the page's width."""
    suffix = f"{year}年政府信息公开工作年度报告"
    form = layout.title_form
    if form == "wrap_word":         # broken inside 年度: "…政府信息公开工作年" / "度报告"
        first = agency + suffix[:-3]
        return [first, "度报告"] if fits(first) else [agency, suffix[:-3], "度报告"]
    if form == "year_above":
        return [f"{year}年度", agency, "政府信息公开工作年度报告"]
    if form == "year_below":
        first = agency + "政府信息公开工作年度报告"
        return ([first] if fits(first) else [agency, "政府信息公开工作年度报告"]) + [f"（{year}年度）"]
    if form == "agency_wrap":       # the agency's name itself over two lines
        cut = max(agency.rfind(ch, 0, len(agency) - 1) for ch in "市区县") + 1
        cut = cut if 0 < cut < len(agency) else len(agency) // 2
        return [agency[:cut], agency[cut:], suffix]
    if layout.title_spaced_year:
        suffix = f" {year} 年 政府信息公开工作年度报告"
    lines = [agency, suffix.strip()] if layout.title_two_lines else [agency + suffix]
    if not fits(lines[0]):
        lines = [agency, suffix]
    return lines


def title_text(agency: str, year: int, form: str) -> str:
    """The title's text as one string, whatever lines it is printed on."""
    if form == "year_above":
        return f"{year}年度{agency}政府信息公开工作年度报告"
    if form == "year_below":
        return f"{agency}政府信息公开工作年度报告（{year}年度）"
    return f"{agency}{year}年政府信息公开工作年度报告"


def _draw_title(w: PageWriter, doc: ReportDoc) -> None:
    layout = doc.layout
    size = 20.0 if len(doc.title) < 26 else 18.0
    lines = title_lines(doc.agency, doc.year, layout,
                        lambda line: text_width(line, layout.heading_font, size) <= w.content_width)
    w.y += size
    for line in lines:
        w.text_line(line, layout.heading_font, size, w.page_w / 2, size * 1.8, align="center", bold=True)
    w.y += size


def layout_features(layout: Layout, values: ReportValues) -> list[str]:
    """Names of the layout choices a report uses (besides those found while drawing)."""
    out = [f"version:{values.version}", "split_six" if values.split_six else "unsplit_six",
           f"font:{layout.table_font}", f"footer:{layout.footer}", f"parent:{layout.parent_style}",
           f"active_heading:{layout.active_heading_style}"]
    flags = {"corner_diagonal": layout.corner_diagonal, "footer_alternate": layout.footer_alternate,
             "title_two_lines": layout.title_two_lines, "title_spaced_year": layout.title_spaced_year, "active_separate_blocks": layout.active_separate_blocks,
             "numbers_left": layout.numbers_left, "thick_outer_border": layout.outer_line_width > layout.line_width}
    out += [name for name, on in flags.items() if on]
    if layout.total_colour:
        out.append(f"totals:{layout.total_colour}")
    if layout.shade:
        out.append(f"shade:{layout.shade}")
    out += [f"label:{v}" for v in layout.label_variants]
    if layout.label_empty_cell:
        out.append(f"label_empty_cell:{layout.label_empty_cell}")
    if layout.label_split:
        out.append("label_split")
    if layout.block_first_row:
        out.append("block_first_row")
    if layout.title_form:
        out.append(f"title:{layout.title_form}")
    if layout.rule_style:
        out.append(f"rules:{layout.rule_style}")
    return out
