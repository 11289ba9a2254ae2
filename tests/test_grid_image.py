"""Grids found on page images must equal what camelot's vector lattice finds on the same page of
the real report: same rows, columns and merged cells, cell boxes within 2 pt — on the clean
render and on degraded copies (skew, blur + noise, a red seal, 150 dpi, pages turned 90°/180°)."""
from __future__ import annotations

import camelot
import cv2
import numpy as np
import pytest

from pipeline.grid import merge_cells
from pipeline.grid_image import dark_rules, detect_grids
from pipeline.preprocess import prepare_page
from pipeline.types import Grid

from page_images import blur_and_noise, render_page, rotate_content, seal_ink, stamp

PAGE_HEIGHT_PT = 842.0
TOL_PT = 2.0


def red_seal(img, dpi, centre_pt):
    return stamp(img, seal_ink(img.shape, dpi, centre_pt, word=False))


# The merged cells of the real report's tables as printed, written out from the national template
# (report-template.md), independently of the code under test: (row, col, rowspan, colspan) of every
# cell spanning more than one atomic cell, and the table's shape, per page, top to bottom.
PRINTED = {
    4: [((6, 2), [(3, 0, 1, 2)]),                   # active disclosure, end: the 第二十条第（…）项 band
        ((16, 10), [(0, 0, 3, 3),                   # applications: the corner header
                    (0, 3, 1, 7),                   # 申请人情况
                    (1, 3, 2, 1), (1, 4, 1, 5),     # 自然人; 法人或其他组织 over its five columns
                    (1, 9, 2, 1),                   # 总计
                    (3, 0, 1, 3), (4, 0, 1, 3),     # 一、本年新收…; 二、上年结转…
                    (5, 0, 11, 1),                  # 三、本年度办理结果, down to the page's end
                    (5, 1, 1, 2), (6, 1, 1, 2),     # （一）予以公开; （二）部分公开
                    (7, 1, 8, 1)])],                # （三）不予公开 over its 8 reasons
    5: [((12, 10), [(0, 0, 11, 1),                  # 三、本年度办理结果, continued
                    (0, 1, 2, 1),                   # （四）无法提供: 2 of its 3 reasons on this page
                    (2, 1, 5, 1), (7, 1, 3, 1),     # （五）不予处理 (5 reasons); （六）其他处理 (3)
                    (10, 1, 1, 2),                  # （七）总计
                    (11, 0, 1, 3)]),                # 四、结转下年度继续办理
        ((4, 15), [(0, 0, 1, 5), (0, 5, 1, 10),     # 行政复议; 行政诉讼
                   (1, 0, 2, 1), (1, 1, 2, 1), (1, 2, 2, 1), (1, 3, 2, 1), (1, 4, 2, 1),
                   (1, 5, 1, 5), (1, 10, 1, 5)])],  # 未经复议直接起诉; 复议后起诉
}


def vector_grids(pdf_path, page: int) -> list[Grid]:
    """camelot's lattice on the vector page, as Grids in top-left-origin points; checked against
    the printed layout (PRINTED), so that a fault in merge_cells, which builds both this reference
    and the grids found on images, cannot make the two agree on a wrong answer."""
    grids = []
    for t in camelot.read_pdf(str(pdf_path), pages=str(page), flavor="lattice", line_scale=40):
        cols = [t.cols[0][0]] + [c[1] for c in t.cols]
        rows = [PAGE_HEIGHT_PT - t.rows[0][0]] + [PAGE_HEIGHT_PT - r[1] for r in t.rows]
        n_r, n_c = len(rows) - 1, len(cols) - 1
        right_open = [[not t.cells[r][c].right for c in range(n_c)] for r in range(n_r)]
        bottom_open = [[not t.cells[r][c].bottom for c in range(n_c)] for r in range(n_r)]
        grids.append(merge_cells(page, cols, rows, right_open, bottom_open))
    grids = sorted(grids, key=lambda g: g.bbox[1])
    assert [layout(g) for g in grids] == [printed_layout(shape, merged) for shape, merged in PRINTED[page]]
    return grids


def layout(grid: Grid) -> tuple:
    return (grid.n_rows, grid.n_cols), sorted((c.row, c.col, c.rowspan, c.colspan) for c in grid.cells)


def printed_layout(shape: tuple[int, int], merged: list[tuple[int, int, int, int]]) -> tuple:
    """Every cell of a table of this shape: the merged ones, and 1x1 cells wherever none covers."""
    covered = {(r, c) for r0, c0, rs, cs in merged for r in range(r0, r0 + rs) for c in range(c0, c0 + cs)}
    singles = [(r, c, 1, 1) for r in range(shape[0]) for c in range(shape[1]) if (r, c) not in covered]
    return shape, sorted(merged + singles)


def test_merge_cells_on_a_hand_made_lattice():
    """A 3x3 lattice: the top row's first two cells joined, the last column's lower two joined."""
    cols, rows = [0.0, 10.0, 30.0, 60.0], [0.0, 5.0, 15.0, 20.0]
    right_open = [[True, False, False], [False, False, False], [False, False, False]]
    bottom_open = [[False, False, False], [False, False, True], [False, False, False]]
    grid = merge_cells(3, cols, rows, right_open, bottom_open)
    assert (grid.page, grid.n_rows, grid.n_cols, grid.bbox) == (3, 3, 3, (0.0, 0.0, 60.0, 20.0))
    assert [(c.row, c.col, c.rowspan, c.colspan, c.bbox) for c in grid.cells] == [
        (0, 0, 1, 2, (0.0, 0.0, 30.0, 5.0)), (0, 2, 1, 1, (30.0, 0.0, 60.0, 5.0)),
        (1, 0, 1, 1, (0.0, 5.0, 10.0, 15.0)), (1, 1, 1, 1, (10.0, 5.0, 30.0, 15.0)),
        (1, 2, 2, 1, (30.0, 5.0, 60.0, 20.0)),
        (2, 0, 1, 1, (0.0, 15.0, 10.0, 20.0)), (2, 1, 1, 1, (10.0, 15.0, 30.0, 20.0))]


def cell_map(grid: Grid) -> dict:
    return {(c.row, c.col, c.rowspan, c.colspan): c.bbox for c in grid.cells}


def assert_same_grids(expected: list[Grid], found: list[Grid], prepared, to_clean=None):
    """Same shapes and spans; every cell's centre (mapped back to the clean page) and size within
    TOL_PT. `to_clean`: 2x3 matrix from the degraded input's pixels to the clean render's."""
    assert [(g.n_rows, g.n_cols) for g in found] == [(g.n_rows, g.n_cols) for g in expected]
    ppp = prepared.points_per_pixel
    for exp, got in zip(expected, found):
        e, g = cell_map(exp), cell_map(got)
        assert set(g) == set(e), f"merged cells differ: {sorted(set(g) ^ set(e))[:5]}"
        for key, (x0, y0, x1, y1) in g.items():
            cx, cy = (x0 + x1) / 2 / ppp, (y0 + y1) / 2 / ppp
            (ox, oy), = prepared.original_of(np.array([[cx, cy]]))
            if to_clean is not None:
                ox, oy = to_clean @ np.array([ox, oy, 1.0])
            ex0, ey0, ex1, ey1 = e[key]
            assert abs(ox * ppp - (ex0 + ex1) / 2) < TOL_PT, key
            assert abs(oy * ppp - (ey0 + ey1) / 2) < TOL_PT, key
            assert abs((x1 - x0) - (ex1 - ex0)) < TOL_PT, key
            assert abs((y1 - y0) - (ey1 - ey0)) < TOL_PT, key


@pytest.fixture(scope="module", params=[4, 5])
def page(request, real_pdf):
    n = request.param
    return n, vector_grids(real_pdf, n), render_page(real_pdf, n, 200)


def test_vector_reference_is_what_we_expect(page):
    n, expected, _ = page
    shapes = {4: [(6, 2), (16, 10)], 5: [(12, 10), (4, 15)]}[n]
    assert [(g.n_rows, g.n_cols) for g in expected] == shapes


def test_clean_render(page):
    n, expected, img = page
    prepared = prepare_page(img, 200)
    assert_same_grids(expected, detect_grids(prepared, n), prepared)


def test_skewed_scan(page):
    n, expected, img = page
    skewed, m = rotate_content(img, 2.5)
    prepared = prepare_page(skewed, 200)
    assert prepared.skew == pytest.approx(2.5, abs=0.05)
    assert_same_grids(expected, detect_grids(prepared, n), prepared, cv2.invertAffineTransform(m))


def test_blurred_noisy_skewed_scan(page):
    n, expected, img = page
    skewed, m = rotate_content(img, -1.2)
    prepared = prepare_page(blur_and_noise(skewed, 200, sigma=15), 200)
    assert_same_grids(expected, detect_grids(prepared, n), prepared, cv2.invertAffineTransform(m))


def test_red_seal_over_the_table(page):
    n, expected, img = page
    centre = {4: (300, 560), 5: (330, 250)}[n]        # over the numbers of each table
    prepared = prepare_page(red_seal(img, 200, centre), 200)
    assert_same_grids(expected, detect_grids(prepared, n), prepared)


def test_150_dpi(page, real_pdf):
    n, expected, _ = page
    prepared = prepare_page(render_page(real_pdf, n, 150), 150)
    assert_same_grids(expected, detect_grids(prepared, n), prepared)


@pytest.mark.parametrize("code, rotation", [(cv2.ROTATE_90_COUNTERCLOCKWISE, 90), (cv2.ROTATE_180, 180)])
def test_turned_page(page, code, rotation):
    n, expected, img = page
    prepared = prepare_page(cv2.rotate(img, code), 200)
    assert prepared.rotation == rotation
    # The bboxes are in the upright page; undoing our own turn maps them onto the clean render.
    to_clean = np.eye(3)
    found = detect_grids(prepared, n)
    upright = type(prepared)(**{**prepared.__dict__, "to_original": to_clean})
    assert_same_grids(expected, found, upright)


def test_bboxes_map_back_to_the_turned_input(page):
    n, expected, img = page
    turned = cv2.rotate(img, cv2.ROTATE_90_COUNTERCLOCKWISE)
    prepared = prepare_page(turned, 200)
    grid = detect_grids(prepared, n)[0]
    x0, y0, x1, y1 = prepared.to_original_points(grid.bbox)
    # On the page as displayed (turned), the table lies on its side: its width there is the
    # upright table's height.
    assert abs((x1 - x0) - (grid.bbox[3] - grid.bbox[1])) < TOL_PT
    assert abs((y1 - y0) - (grid.bbox[2] - grid.bbox[0])) < TOL_PT
    assert x0 >= 0 and y0 >= 0 and x1 <= turned.shape[1] * 72 / 200 and y1 <= turned.shape[0] * 72 / 200


def test_diagonal_in_corner_cell_makes_no_edge(page):
    """WPS draws a diagonal across the corner cell; it must not split it."""
    n, expected, img = page
    first = expected[-1] if n == 4 else expected[0]
    corner = next(c for c in first.cells if c.row == 0 and c.col == 0)
    x0, y0, x1, y1 = (int(round(v * 200 / 72)) for v in corner.bbox)
    crossed = img.copy()
    cv2.line(crossed, (x0, y0), (x1, y1), (0, 0, 0), max(1, int(0.006 * 200)), cv2.LINE_AA)
    prepared = prepare_page(crossed, 200)
    assert_same_grids(expected, detect_grids(prepared, n), prepared)


def test_table_cut_by_the_page_edge(page):
    """A table running off the page (no closing rule): the open side becomes a last row up to
    where the vertical rules end, the rest of the grid unchanged."""
    n, expected, img = page
    table = expected[-1]
    cut_y = (table.row_edges[-2] + table.row_edges[-1]) / 2      # halfway through the last row
    cut = img.copy()
    cut[int(cut_y * 200 / 72):] = 255
    prepared = prepare_page(cut, 200)
    found = detect_grids(prepared, n)[-1]
    assert (found.n_rows, found.n_cols) == (table.n_rows, table.n_cols)
    assert abs(found.row_edges[-1] - cut_y) < TOL_PT
    assert found.row_edges[:-1] == pytest.approx(table.row_edges[:-1], abs=TOL_PT)


def test_stacked_tables_come_out_separately(real_pdf):
    """Page 4 holds two tables with a gap between them: two grids, top to bottom."""
    prepared = prepare_page(render_page(real_pdf, 4, 150), 150)
    grids = detect_grids(prepared, 4)
    assert len(grids) == 2 and grids[0].bbox[3] < grids[1].bbox[1]


def test_prose_page_has_no_grid(real_pdf):
    prepared = prepare_page(render_page(real_pdf, 2, 150), 150)
    assert detect_grids(prepared, 2) == []


def wear(img: np.ndarray, box_pt, dpi: float, strength: float) -> np.ndarray:
    """Worn toner over a stretch of rule: ink inside box_pt (x0, y0, x1, y1 in points) kept at
    `strength` of its darkness, with a 1 mm gap every 3 mm along the stretch (strength 0: gone)."""
    out = img.copy()
    x0, y0, x1, y1 = (int(round(v * dpi / 72)) for v in box_pt)
    patch = out[y0:y1, x0:x1].astype(np.float32)
    patch = 255 - (255 - patch) * strength
    mm = dpi / 25.4
    along_x = (x1 - x0) >= (y1 - y0)
    for start in np.arange(0, max(x1 - x0, y1 - y0), 3 * mm):
        a, b = int(start + 2 * mm), int(start + 3 * mm)
        if along_x:
            patch[:, a:b] = 255
        else:
            patch[a:b, :] = 255
    out[y0:y1, x0:x1] = np.clip(patch, 0, 255).astype(np.uint8)
    return out


def test_worn_table_corners(real_pdf):
    """Worn toner takes a table's corners first: the top rule stops 5 mm short of the left
    border, the right border 5 mm short of the top rule. The top row must still be found."""
    expected = vector_grids(real_pdf, 5)
    img = render_page(real_pdf, 5, 200)
    x0, y0, x1, _ = expected[-1].bbox
    worn = wear(img, (x0 - 2, y0 - 2, x0 + 14, y0 + 2), 200, 0.0)
    worn = wear(worn, (x1 - 2, y0 - 2, x1 + 2, y0 + 14), 200, 0.0)
    prepared = prepare_page(worn, 200)
    assert_same_grids(expected, detect_grids(prepared, 5), prepared)


def test_faded_rules_around_a_block_label(real_pdf):
    """Page 4, table 2: the row rule under 二、上年结转… faded to a dashed grey line beside the
    tall 三、本年度办理结果 cell, and the column rule right of that cell faded in the next row.
    The open edges would join 二's row with the tall cell into an L; cells are rectangles, so the
    grid must be cut along the faded rules, as printed."""
    expected = vector_grids(real_pdf, 4)
    table = expected[-1]
    img = render_page(real_pdf, 4, 200)
    y = table.row_edges[5]                       # under row 4 (二、…)
    x = table.col_edges[1]                       # right of the tall label cell
    worn = wear(img, (table.col_edges[0] + 2, y - 2, x - 2, y + 2), 200, 0.3)
    worn = wear(worn, (x - 2, y + 2, x + 2, table.row_edges[6] - 2), 200, 0.3)
    prepared = prepare_page(worn, 200)
    assert_same_grids(expected, detect_grids(prepared, 4), prepared)


def test_faded_column_rule_under_a_spanning_band(real_pdf):
    """Page 4, table 1: the column rule worn away over the row under a band that spans the
    table (第二十条第（…）项). The two cells of that row are still two; the band is not cut."""
    expected = vector_grids(real_pdf, 4)
    table = expected[0]
    band_row = next(c.row for c in table.cells if c.colspan == table.n_cols)
    x = table.col_edges[1]
    y0, y1 = table.row_edges[band_row + 1], table.row_edges[band_row + 2]
    worn = wear(render_page(real_pdf, 4, 200), (x - 2, y0 + 2, x + 2, y1 - 2), 200, 0.3)
    prepared = prepare_page(worn, 200)
    assert_same_grids(expected, detect_grids(prepared, 4), prepared)


def test_a_pale_piece_on_a_dark_rule_s_line_stays_and_a_pale_line_of_its_own_goes():
    """dark_rules at 200 dpi: a rule dark over its left part, worn pale over the rest and cut
    off from it by a gap wider than rule_masks bridges (0.15 in), stays whole; a pale line as
    long on a line of its own (a table showing through from the back) goes."""
    mask = np.zeros((200, 1000), np.uint8)
    dark = np.zeros_like(mask)
    mask[50:52, 100:400] = dark[50:52, 100:400] = 255      # the rule, dark
    mask[50:52, 430:900] = 255                             # its worn part, past a 30-pixel gap
    mask[150:152, 100:900] = 255                           # a pale line of its own
    kept = dark_rules(mask, np.zeros_like(mask), dark, True, 200)
    assert kept[50:52, 430:900].all() and kept[50:52, 100:400].all()
    assert not kept[150:152].any()


def test_a_pale_line_on_a_print_stroke_s_line_is_no_worn_rule():
    """A heading's upright stroke (0.2 in at 200 dpi) is dark and long enough for rule_masks; a
    pale line of the back page running on from it is no worn part of a rule."""
    mask = np.zeros((400, 300), np.uint8)
    dark = np.zeros_like(mask)
    mask[20:60, 150:153] = dark[20:60, 150:153] = 255      # the stroke, 40 pixels
    mask[70:370, 150:153] = 255                            # a pale line past a 10-pixel gap
    kept = dark_rules(mask, np.zeros_like(mask), dark, False, 200)
    assert not kept[70:370].any()


def _stacked_tables_page(ghosts: bool) -> np.ndarray:
    """A 200 dpi page with two ruled tables one above the other and a bold heading between them;
    with `ghosts`, the back page shows through: its frame on the line of this page's frames,
    running on across the gap, and a rule of its own through the heading."""
    page = np.full((1300, 1400), 250, np.uint8)
    if ghosts:
        for x in (200, 1200, 760):
            cv2.line(page, (x, 60), (x, 1180), 232, 2)
        cv2.line(page, (200, 560), (1200, 560), 232, 2)
    for top, bottom, rows in ((100, 500, 5), (660, 1140, 6)):
        for k in range(rows + 1):
            y = top + k * (bottom - top) // rows
            cv2.line(page, (200, y), (1200, y), 20, 2)
        for x in (200, 500, 850, 1200):
            cv2.line(page, (x, top), (x, bottom), 20, 2)
        for k in range(rows):
            cv2.putText(page, str(10 + k), (600, top + k * (bottom - top) // rows + 55),
                        cv2.FONT_HERSHEY_SIMPLEX, 1.2, 20, 3)
    cv2.putText(page, "Heading", (300, 600), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 20, 5)
    return cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)


def test_stacked_tables_stay_apart_when_the_back_page_s_frame_runs_between_them():
    """The back page's table, centred as this page's are, has its frame on the line of theirs:
    in the gap between two stacked tables only its pale frame runs. A band of the page where
    every rule is pale holds no table: the two tables come out as on the page without it."""
    shapes = [[(g.n_rows, g.n_cols) for g in detect_grids(prepare_page(_stacked_tables_page(ghosts), 200), 1)]
              for ghosts in (False, True)]
    assert shapes[0] == [(5, 3), (6, 3)]
    assert shapes[1] == shapes[0]


def test_shaded_cells_turned_to_speckle_draw_no_rules(heavy_bilevel_scan):
    """A 1-bit scan's heavy threshold turns the shaded header rows of the active-disclosure table
    into dense speckle, whose chance runs of ink looked like rules both ways (a grid of 61
    columns). They are no rules: the table keeps its four printed columns, its label and value
    cells whole, and its shaded rows as blank bands between the rules around them."""
    prepared = prepare_page(render_page(heavy_bilevel_scan, 2, 300), 300)
    active = detect_grids(prepared, 2)[0]
    assert active.n_cols == 4
    rows = {c.row: c for c in active.cells if c.col == 0}
    shaded = [c for c in rows.values() if c.colspan == 4]
    assert len(shaded) >= 3
    labelled = [c for c in active.cells if c.col == 0 and c.colspan == 1 and c.rowspan == 1]
    assert len(labelled) >= 6 and all(any(o.row == c.row and o.col >= 1 for o in active.cells) for c in labelled)


def test_a_table_showing_through_from_the_back_draws_no_rules(tmp_path):
    """Thin paper printed on both sides: the next page's tables show through, mirrored, at up to
    a sixth of the print's darkness. Their rules are no rules of this page: every page's grids
    come out as on the same scan without the show-through."""
    from samples.degrade import write_variant
    from conftest import COMMITTED

    source = COMMITTED / "synth-2024-002-2021.pdf"
    plain = write_variant(source, tmp_path / "plain", "scan200", seed=0)
    through = write_variant(source, tmp_path / "through", "scan200-show-through", seed=0)
    for page in (2, 3):
        shapes = [[(g.n_rows, g.n_cols) for g in detect_grids(prepare_page(render_page(pdf, page, 200), 200), page)]
                  for pdf in (plain, through)]
        assert shapes[0] and shapes[1] == shapes[0], page


def test_grids_beside_others_come_after_them(real_pdf):
    """Two pages scanned to one sheet: page 5's tables on the right start higher than page 4's on
    the left, and read first they broke table 三's continuation (two reports lost rows 3.5.3 on).
    The left page's grids come first, each page's top to bottom."""
    left, right = render_page(real_pdf, 4, 200), render_page(real_pdf, 5, 200)
    right = np.vstack([right[200:], np.full_like(right[:200], 255)])       # its tables higher up
    sheet = np.hstack([left, right])
    grids = detect_grids(prepare_page(sheet, 200), 1)
    middle = left.shape[1] * 72 / 200
    sides = [g.bbox[0] >= middle for g in grids]
    assert sides == sorted(sides) and sides.count(False) == 2 and sides.count(True) == 2
    assert [(g.n_rows, g.n_cols) for g in grids] == [(6, 2), (16, 10), (12, 10), (4, 15)]


def test_a_long_picture_of_the_pages_gives_their_grids(real_pdf):
    """The report as one long picture (pages stitched one under the other, as sites publish it):
    the rulings' bar grew with the picture's length, 1/40 of four pages past the short column
    rules of a row, and the tables came out with their rows' columns merged."""
    pages = [render_page(real_pdf, n, 200) for n in range(1, 7)]
    one_by_one = [(g.n_rows, g.n_cols) for n, image in enumerate(pages, 1)
                  for g in detect_grids(prepare_page(image, 200), n)]
    picture = np.vstack(pages)
    assert [(g.n_rows, g.n_cols) for g in detect_grids(prepare_page(picture, 200), 1)] == one_by_one
    assert one_by_one == [(8, 4), (6, 2), (16, 10), (12, 10), (4, 15)]


def test_a_short_row_carried_over_to_a_page_alone_is_a_grid(real_pdf):
    """Table 三's last row (四、结转下年度继续办理) carried over to the next page alone, printed
    tight (a browser's 9 pt rows with little padding): its column rules, one short row tall, are
    shorter than the rulings' bar (a fortieth of the page) and went, with the row's 7 values.
    Printed as tall as the real report's, the row is a grid either way."""
    page = render_page(real_pdf, 5, 200)
    full = detect_grids(prepare_page(page, 200), 5)[0]
    last = [c for c in full.cells if c.row == full.n_rows - 1]
    top, bottom = (int(round(v * 200 / 72)) for v in (min(c.bbox[1] for c in last), max(c.bbox[3] for c in last)))
    row = page[top - 4:bottom + 4]
    shapes = []
    for height in (row.shape[0], row.shape[0] * 3 // 5):
        alone = np.full_like(page, 255)
        alone[200:200 + height] = cv2.resize(row, (row.shape[1], height), interpolation=cv2.INTER_AREA)
        shapes.append([(g.n_rows, len(g.cells)) for g in detect_grids(prepare_page(alone, 200), 6)])
    assert shapes[1] == shapes[0] == [(1, len(last))]


@pytest.mark.parametrize("style", ["double_frame", "boxed_cells"])
def test_double_rules_are_one_rule_on_a_scan(tmp_path, style):
    """The same on the pixels: a frame round the table 2.5 pt outside it (its own contour gave
    the table twice) or each cell framed inside its rules gives the grid of the single rules."""
    from page_images import render_layouts_report

    shapes = {}
    for rules in ("", style):
        path = tmp_path / f"{rules or 'single'}.pdf"
        page = render_layouts_report(path, rules).table_pages["applications"][0]
        prepared = prepare_page(render_page(path, page, 200), 200)
        shapes[rules] = [(g.n_rows, g.n_cols) for g in detect_grids(prepared, page)]
    assert shapes[style] == shapes[""] and shapes[""]


def test_open_sided_tables_give_the_grids_of_ruled_ones_on_a_scan(tmp_path):
    """The same on the pixels: with no rule down the tables' sides, the rows' rules ending on
    one line imply them, and table 三's page gives the grids of the fully ruled report."""
    from page_images import render_layouts_report

    shapes = {}
    for rules in ("", "open_sides"):
        path = tmp_path / f"{rules or 'ruled'}.pdf"
        page = render_layouts_report(path, rules).table_pages["applications"][0]
        prepared = prepare_page(render_page(path, page, 200), 200)
        shapes[rules] = [(g.n_rows, g.n_cols) for g in detect_grids(prepared, page)]
    assert shapes["open_sides"] == shapes[""] == [(14, 4), (7, 10)]


def test_tables_ruled_by_rows_only_give_the_grids_of_ruled_ones_on_a_scan(tmp_path):
    """The same on the pixels of a 200 dpi scan: tables 三 and 四, ruled by rows only, give the
    grids of the fully ruled report; the pieces of their text's ink stand for its characters."""
    from page_images import render_clean_report

    shapes = {}
    for rules in ("", "rows_only"):
        path = tmp_path / f"{rules or 'ruled'}.pdf"
        result = render_clean_report(path, rules)
        pages = sorted(set(result.table_pages["applications"] + result.table_pages["review"]))
        shapes[rules] = [(g.n_rows, g.n_cols, sorted((c.row, c.col, c.rowspan, c.colspan) for c in g.cells))
                         for page in pages
                         for g in detect_grids(prepare_page(render_page(path, page, 200), 200), page)
                         if g.n_cols >= 10]
    assert shapes["rows_only"] == shapes[""] and len(shapes[""]) >= 3


@pytest.mark.parametrize("index", [0, 2])
def test_tables_without_a_frame_give_the_grids_of_their_text_layer_on_a_scan(tmp_path, index):
    """Tables drawn with inside rules only (no rule round them: Word's inside borders) leave
    their outer rows and columns open. On a 200 dpi scan the grids are those the same PDF's
    vector rulings give, merged cells and all: the first column bounded by the rows' rules that
    reach it, the last row by the column rules that run down to it; a block continued over a
    page keeps its columns, whose rules there meet one row rule and end on the table's open top."""
    import pypdfium2 as pdfium

    from page_images import render_clean_report
    from pipeline import grid_pdf

    def shape(g: Grid) -> tuple:
        return g.n_rows, g.n_cols, sorted((c.row, c.col, c.rowspan, c.colspan) for c in g.cells)

    path = tmp_path / "frameless.pdf"
    result = render_clean_report(path, "frameless", index)
    pages = sorted({page for pages in result.table_pages.values() for page in pages})
    document = pdfium.PdfDocument(str(path))
    try:
        layer = [shape(g) for page in pages for g in grid_pdf.read_page_grids(document, page - 1)]
    finally:
        document.close()
    scan = [shape(g) for page in pages for g in detect_grids(prepare_page(render_page(path, page, 200), 200), page)]
    assert scan == layer and sum(s[1] >= 10 for s in layer) >= 3
