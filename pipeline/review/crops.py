"""Crops of cells, rendered from the source PDF of a document in the database, cached on disk.

Only a document the database holds is ever opened, at a path the database recorded for it, and
only when the file there still has the document's sha256 (checked once per process). A crop is
the cell's bbox (PDF points, origin top-left of the page as displayed) with some context around
it, at a readable scale, the cell outlined in red. Crops are PNG files under
`<db>.review-cache/crops/<sha256>/`, so that a report page loads its crops from disk after the
first time; pages rendered for cropping are kept in a small in-memory cache meanwhile.
"""
from __future__ import annotations

import io
import json
import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Optional

from pipeline.pdf import sha256_of

log = logging.getLogger(__name__)

SCALE = 3.0                 # pixels per PDF point: 216 dpi, digits of small print stay readable
CONTEXT_X = 1.0             # context around the cell: this much of its width on each side ...
CONTEXT_Y = 1.4             # ... and of its height above and below,
MIN_CONTEXT_PT = (36, 16)   # at least this many points (x, y)
MAX_CROP_PT = (420, 160)    # a cell spanning a whole table is shown at most this large
OUTLINE = (220, 30, 30)
PAGE_CACHE = 6              # rendered pages kept in memory
PAGE_SCALE = 1.5            # whole pages (a row not found): 108 dpi


def cache_dir_for(db_path) -> Path:
    p = Path(db_path).resolve()
    return p.with_name(p.name + ".review-cache")


class NotAvailable(Exception):
    """No crop can be made: the source file is gone or changed, or the cell has no position."""


class Crops:
    def __init__(self, db_path, conn_factory):
        self.dir = cache_dir_for(db_path) / "crops"
        self._db_dir = Path(db_path).resolve().parent
        self._conn_factory = conn_factory
        self._lock = threading.Lock()          # pdfium is not thread-safe
        self._verified: dict[str, Optional[Path]] = {}
        self._pages: OrderedDict = OrderedDict()
        self._rotations: dict[str, dict] = {}

    # the source file of a document
    def source(self, sha256: str) -> Path:
        if sha256 in self._verified:
            path = self._verified[sha256]
            if path is None:
                raise NotAvailable("the source PDF of this document is not where it was read, or has changed")
            return path
        conn = self._conn_factory()
        paths = [r[0] for r in conn.execute("SELECT path FROM documents WHERE sha256 = ?", (sha256,))]
        paths += [r[0] for r in conn.execute("SELECT path FROM sources WHERE sha256 = ? ORDER BY path", (sha256,))]
        found = None
        # a relative path is the batch's working folder's: tried from here, then from the database's folder
        candidates = [Path(p) for p in paths] + [self._db_dir / p for p in paths if not Path(p).is_absolute()]
        for path in dict.fromkeys(candidates):
            try:
                if path.is_file() and sha256_of(path) == sha256:
                    found = path
                    break
            except OSError:
                continue
        self._verified[sha256] = found
        if found is None:
            raise NotAvailable("the source PDF of this document is not where it was read, or has changed")
        return found

    def rotation(self, sha256: str, page: int) -> int:
        """How the content lies on the page (degrees clockwise, as the pipeline found it): the crop is
        turned back upright so that a sideways scan reads like the others."""
        if sha256 not in self._rotations:
            row = self._conn_factory().execute("SELECT pages FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
            pages = json.loads(row[0]) if row and row[0] else []
            self._rotations[sha256] = {p.get("page"): int(p.get("rotation") or 0) % 360 for p in pages}
        return self._rotations[sha256].get(page, 0)

    def _path(self, sha256: str, page: int, bbox) -> Path:
        if not page or not bbox or len(bbox) != 4:
            raise NotAvailable("the cell has no position on a page")
        x0, y0, x1, y1 = (float(v) for v in bbox)
        turn = self.rotation(sha256, int(page))
        return self.dir / sha256 / f"p{int(page)}_{x0:.1f}_{y0:.1f}_{x1:.1f}_{y1:.1f}_r{turn}.png"

    def cached(self, sha256: str, page: int, bbox) -> Optional[Path]:
        """The crop's file if it is made already (its source is checked once per process)."""
        try:
            out = self._path(sha256, page, bbox)
        except NotAvailable:
            return None
        if sha256 in self._verified and self._verified[sha256] is None:
            return None          # the source is gone or changed: say so rather than show an old crop
        return out if out.is_file() else None

    def file_for(self, sha256: str, page: int, bbox) -> Path:
        """The PNG of a cell's crop, rendered now if not cached."""
        out = self._path(sha256, page, bbox)
        x0, y0, x1, y1 = (float(v) for v in bbox)
        if out.is_file():
            return out
        png = self.render(sha256, int(page), (x0, y0, x1, y1), self.rotation(sha256, int(page)))
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(png)
        tmp.replace(out)
        return out

    def page_file(self, sha256: str, page: int) -> Path:
        """A whole page as a PNG, for a cell whose row was not found (no bbox to crop)."""
        out = self.dir / sha256 / f"page{int(page)}_r{self.rotation(sha256, int(page))}.png"
        if out.is_file():
            return out
        image = self._page_image(sha256, int(page))
        image = image.resize((int(image.width * PAGE_SCALE / SCALE), int(image.height * PAGE_SCALE / SCALE)))
        turn = self.rotation(sha256, int(page))
        if turn in (90, 180, 270):
            image = image.rotate(turn, expand=True)
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="PNG", compress_level=6)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(buf.getvalue())
        tmp.replace(out)
        return out

    def render(self, sha256: str, page: int, bbox, rotation: int = 0) -> bytes:
        from PIL import ImageDraw
        image = self._page_image(sha256, page)
        w_pt, h_pt = image.width / SCALE, image.height / SCALE
        x0, y0, x1, y1 = bbox
        cw, ch = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        mx = max(MIN_CONTEXT_PT[0], CONTEXT_X * min(cw, MAX_CROP_PT[0]))
        my = max(MIN_CONTEXT_PT[1], CONTEXT_Y * min(ch, MAX_CROP_PT[1]))
        left, top = max(0.0, x0 - mx), max(0.0, y0 - my)
        right, bottom = min(w_pt, x1 + mx), min(h_pt, y1 + my)
        if right - left > MAX_CROP_PT[0] + 2 * mx:      # a very wide cell: keep its left part
            right = left + MAX_CROP_PT[0] + 2 * mx
        if bottom - top > MAX_CROP_PT[1] + 2 * my:
            bottom = top + MAX_CROP_PT[1] + 2 * my
        if right <= left or bottom <= top:
            raise NotAvailable("the cell lies outside its page")
        box = tuple(int(round(v * SCALE)) for v in (left, top, right, bottom))
        crop = image.crop(box).convert("RGB")
        draw = ImageDraw.Draw(crop)
        draw.rectangle([(x0 - left) * SCALE - 2, (y0 - top) * SCALE - 2,
                        (x1 - left) * SCALE + 2, (y1 - top) * SCALE + 2], outline=OUTLINE, width=3)
        if rotation in (90, 180, 270):
            crop = crop.rotate(rotation, expand=True)      # counter-clockwise: undoes a clockwise turn
        buf = io.BytesIO()
        crop.save(buf, format="PNG", optimize=False, compress_level=6)
        return buf.getvalue()

    def _page_image(self, sha256: str, page: int):
        key = (sha256, page)
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
            import pypdfium2 as pdfium
            path = self.source(sha256)
            try:
                pdf = pdfium.PdfDocument(str(path))
            except Exception as e:       # the file was checked; still, never a trace to the client
                raise NotAvailable(f"the source PDF cannot be opened ({type(e).__name__})") from None
            try:
                if not 1 <= page <= len(pdf):
                    raise NotAvailable("the cell's page is not in the source PDF")
                image = pdf[page - 1].render(scale=SCALE).to_pil()
            finally:
                pdf.close()
            self._pages[key] = image
            while len(self._pages) > PAGE_CACHE:
                self._pages.popitem(last=False)
            return image

