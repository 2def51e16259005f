"""HTML templates to A4 PDF with WeasyPrint, in Thai, with the Sarabun font from its PyPI package."""

import contextlib
import functools
import gc
import io
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import fontpkg_sarabun
import pypdf
import segno
import weasyprint
from django.template.loader import render_to_string
from django.utils import timezone, translation
from fontTools.ttLib import TTFont
from weasyprint.formatting_structure import boxes
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

BANGKOK = ZoneInfo("Asia/Bangkok")
FONT_DIR = Path(fontpkg_sarabun.ROOT) / "files"
FONT_REGULAR = FONT_DIR / "Sarabun-Regular.ttf"
# Thai stacks vowels and tone marks above the consonant: below ~1.45 they touch the line above.
LINE_HEIGHT = 1.5
_FACES = (
    ("Sarabun-Regular.ttf", 400, "normal"),
    ("Sarabun-Italic.ttf", 400, "italic"),
    ("Sarabun-SemiBold.ttf", 600, "normal"),
    ("Sarabun-Bold.ttf", 700, "normal"),
)

# One font configuration per process: WeasyPrint loads @font-face files into it once. It is
# shared state, so one thread renders at a time (processes, not threads, scale the rendering).
_render_lock = threading.Lock()


@dataclass(frozen=True)
class RenderedPdf:
    """A rendered, not yet signed, PDF."""

    data: bytes
    pages: int


@dataclass(frozen=True)
class Chunk:
    """A chunk of a long record's rows, as its template sees it: ``rows`` holds rows[start:stop].

    Its pages run on from the chunk before: the first prints ``first_page``. Only the ``first``
    chunk carries the record's heading, only the ``last`` its end and signature; the total of
    pages is not known while a chunk is laid out."""

    start: int
    stop: int
    rows_total: int
    first_page: int

    @property
    def first(self) -> bool:
        """Return whether the chunk begins the record."""
        return self.start == 0

    @property
    def last(self) -> bool:
        """Return whether the chunk ends the record."""
        return self.stop == self.rows_total


class LocalFontFetcher(URLFetcher):
    """Fetch only data: URIs and the Sarabun files; a record never loads anything else."""

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if path.is_relative_to(FONT_DIR.resolve()):
                return super().fetch(url, headers)
        raise ValueError(f"Not allowed in a record: {url}")


def base_css() -> str:
    """Return the stylesheet under every record: Sarabun from its package files, A4, line height."""
    faces = "\n".join(
        f'@font-face {{ font-family: "Sarabun"; font-weight: {weight}; font-style: {style}; '
        f'src: url("{(FONT_DIR / name).as_uri()}") format("truetype"); }}'
        for name, weight, style in _FACES
    )
    return (
        f"{faces}\n"
        "@page { size: A4; }\n"
        f'html {{ font-family: "Sarabun", sans-serif; line-height: {LINE_HEIGHT}; }}\n'
    )


@functools.cache
def _fonts() -> tuple[FontConfiguration, weasyprint.CSS, LocalFontFetcher]:
    fetcher = LocalFontFetcher()
    font_config = FontConfiguration()
    css = weasyprint.CSS(string=base_css(), font_config=font_config, url_fetcher=fetcher)
    return font_config, css, fetcher


@functools.cache
def _advances() -> tuple[dict[int, int], int]:
    font = TTFont(FONT_REGULAR, lazy=True)
    widths = font["hmtx"].metrics
    return {cp: widths[name][0] for cp, name in font.getBestCmap().items()}, font["head"].unitsPerEm


def text_fits(text: str, *, width_mm: float, size_pt: float) -> bool:
    """Return whether the text, in Sarabun Regular at size_pt, surely fits width_mm on one line.

    Sums the glyphs' advances (Thai vowels and tone marks above or below take none) with a 10 %
    margin for shaping; a character the font lacks counts as one em. A text that fits is never
    broken by the layout, so it may be set on one line without the cost of measuring breaks."""
    advances, units = _advances()
    width = sum(advances.get(ord(c), units) for c in text) * 1.1 * size_pt / units
    return width <= width_mm / 25.4 * 72


def qr_svg_data_uri(url: str) -> str:
    """Return a QR code of the URL as an SVG data URI for an <img> in a record."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=0)


def html_render(*, template: str, context: Mapping[str, Any]) -> str:
    """Return the record's HTML in Thai, with dates in the Buddhist year and Bangkok time."""
    with translation.override("th"), timezone.override(BANGKOK):
        return render_to_string(template, dict(context))


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while WeasyPrint lays out and paints a record.

    A long annex builds hundreds of thousands of boxes and styles that all stay alive until the
    PDF is written; each full collection walks all of them again, so the collector's cost grew
    faster than the rows (a third of a 3,000-learner annex's CPU). Reference counting still frees
    what WeasyPrint drops; the cycles it leaves (its boxes refer to each other) are young when the
    collector resumes, and its next young collection takes them in one pass. No full collection
    is forced here: it walks the whole process (~150 ms), more than a one-page record's layout.
    Callers hold _render_lock, so no other render resumes the collector under this one."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _laid_out(html: str) -> weasyprint.document.Document:
    font_config, css, fetcher = _fonts()
    return weasyprint.HTML(string=html, url_fetcher=fetcher).render(
        stylesheets=[css], font_config=font_config
    )


def pdf_layout(*, html: str) -> list[list[str]]:
    """Return what each page of the record holds, line by line (each line's text): how a reader
    sees the pages, for checks of where the record breaks."""
    with _render_lock, _collector_paused():
        document = _laid_out(html)
    pages = []
    for page in document.pages:
        lines: list[str] = []
        _collect_lines(page._page_box, lines)
        pages.append(lines)
    return pages


def _collect_lines(box, lines: list[str]) -> None:
    if isinstance(box, boxes.LineBox):
        lines.append("".join(_texts(box)))
        return
    for child in getattr(box, "children", ()) or ():
        _collect_lines(child, lines)


def _texts(box):
    if hasattr(box, "text"):
        yield box.text
    for child in getattr(box, "children", ()) or ():
        yield from _texts(child)


def pdf_render(*, html: str) -> RenderedPdf:
    """Return the HTML laid out as an A4 PDF with Sarabun embedded."""
    with _render_lock, _collector_paused():
        document = _laid_out(html)
        data = document.write_pdf()
        pages = len(document.pages)
        # Freed by reference counting before the collector resumes: its first collection would
        # otherwise walk the whole laid-out document (3 s for 3,000 learners) only to keep it.
        del document
    return RenderedPdf(data=data, pages=pages)


def pdf_render_rows(*, template: str, context: Mapping[str, Any], chunk_rows: int) -> RenderedPdf:
    """Return a record that lists ``context["rows"]`` in one table as an A4 PDF, laid out
    ``chunk_rows`` rows at a time when it has more: each chunk is written and its layout freed
    before the next, then the chunks are joined into one PDF.

    A record of more rows receives ``chunk`` (a Chunk) and ``rows`` of that chunk only; one of
    at most ``chunk_rows`` rows is rendered whole, as ``pdf_render`` does, without ``chunk``."""
    rows = context["rows"]
    if len(rows) <= chunk_rows:
        return pdf_render(html=html_render(template=template, context=context))
    parts: list[bytes] = []
    page, start = 1, 0
    while start < len(rows):
        chunk = Chunk(
            start=start,
            stop=min(start + chunk_rows, len(rows)),
            rows_total=len(rows),
            first_page=page,
        )
        html = html_render(
            template=template,
            context={**context, "rows": rows[chunk.start : chunk.stop], "chunk": chunk},
        )
        with _render_lock, _collector_paused():
            document = _laid_out(html)
            kept, stop = _full_pages(document.pages, chunk)
            parts.append(document.copy(kept).write_pdf())
            page += len(kept)
            del document, kept  # see pdf_render: freed before the collector resumes
        start = stop
    return RenderedPdf(data=_joined(parts), pages=page - 1)


def _full_pages(pages: list, chunk: Chunk) -> tuple[list, int]:
    """Return the chunk's pages to keep and the row the next chunk begins with.

    The last page of a chunk is only partly filled; all but the last chunk drop it and the next
    chunk begins with its rows, so that the joined record's pages are those of one layout."""
    if chunk.last or len(pages) < 2:
        return pages, chunk.stop
    carried = _first_body_row(pages[-1]._page_box.children[0])
    if not carried:  # no row on it, or the chunk's first one: nothing to carry
        return pages, chunk.stop
    return pages[:-1], chunk.start + carried


def _first_body_row(box) -> int | None:
    """Return the position in its <tbody> of the first body row laid out in the box, if any."""
    if isinstance(box, boxes.TableRowGroupBox) and not (box.is_header or box.is_footer):
        for row in box.children:
            return list(box.element).index(row.element)
        return None
    for child in getattr(box, "children", ()) or ():
        found = _first_body_row(child)
        if found is not None:
            return found
    return None


def _joined(parts: list[bytes]) -> bytes:
    """Return the PDFs as one: the first one's catalogue (its language) and metadata (title),
    then the others' pages."""
    first, *others = parts
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(first)))
    for part in others:
        writer.append(pypdf.PdfReader(io.BytesIO(part)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
