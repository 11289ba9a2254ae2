"""Pages with a text layer: the layer's own ruled tables (the PDF's vector rulings, read from
its path objects by pipeline.grid_pdf) and its lines. A good born-digital layer with vector
rulings is read by this alone (no render, no OCR); every other page with a layer still takes
from it what it can give (its vector grids, its title lines, its prose) before its own reader
runs."""
from __future__ import annotations

from ..config import Config
from ..grid_vector import read_vector_grids
from ..types import PageContent
from .page import Page

# Words printed in the template's table headers.
TABLE_WORDS = ("信息内容", "申请人情况", "行政复议", "第二十条", "本年新收")


def find_vector_grids(pages: list[Page], config: Config) -> None:
    """Every layered page's ruled tables from its vector rulings; sets page.vector_grids (and
    vector_unparsed where its rulings could not be read)."""
    if not pages:
        return
    doc = pages[0].doc
    heights = {p.number: p.height for p in pages}
    # A born-digital page that draws nothing may still hold a table drawn with no rule at all
    # (pipeline.grid.implied_rows); a scan's layer is read over its pixels instead.
    vector = [p for p in pages if p.has_layer and (p.has_paths or not p.is_image)]
    numbers = [p.number for p in vector]
    grids = read_vector_grids(str(doc.path), numbers, heights, config,
                              spaced=frozenset(p.number for p in vector if p.text_layer == "good"))
    # Rulings drawn in ways the vector reading misses (patterns, images of lines) are seen by
    # camelot's raster detection: tried on pages that draw paths and name a table but gave no
    # grid (the only pages that import camelot).
    missed = [p.number for p in vector if p.number in grids and not grids[p.number] and p.has_paths
              and any(k in p.text() for k in TABLE_WORDS)]
    if missed:
        grids.update(read_vector_grids(str(doc.path), missed, heights, config, engine="combined"))
    for p in vector:
        if p.number in grids:
            p.vector_grids = grids[p.number]
        else:
            p.vector_unparsed = True


def read_layer(page: Page, content: PageContent, config: Config) -> None:
    """What the layer gives: its vector grids (text from the layer) and, where it is good, its
    lines — prose of a born-digital page (the narrative witness), the title on the first pages."""
    content.grids = list(page.vector_grids or [])
    if page.text_layer == "good":
        lines = page.text_lines()
        if not page.is_image:    # born digital
            content.prose = lines
        if page.number <= config.title_pages:
            content.lines = lines


def read(items: list[tuple[Page, PageContent]], config: Config, timings: dict,
         title_found: bool = False) -> None:
    """A good layer with vector rulings: what read_layer took is the page's whole reading."""
