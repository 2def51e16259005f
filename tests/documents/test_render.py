import datetime
import gc
import io

import pytest
from django.utils import timezone, translation
from pyhanko.pdf_utils.reader import PdfFileReader

from documents import render
from documents.render import LINE_HEIGHT, LocalFontFetcher, base_css, html_render, pdf_render

from .conftest import summary_context, unsaved_record


def _font_names(pdf: bytes) -> set[str]:
    """Return the embedded fonts of every page: base name → whether the font file is embedded."""
    reader = PdfFileReader(io.BytesIO(pdf))
    names = set()
    for i in range(len(reader.root["/Pages"]["/Kids"])):
        page = reader.find_page_for_modification(i)[0].get_object()
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"], "the font must be embedded"
            names.add(str(font["/BaseFont"]))
    return names


def _html(**record_fields) -> str:
    return html_render(
        template="documents/summary_record.html",
        context={
            **summary_context(),
            "record": unsaved_record(**record_fields),
            "verify_url": "http://testserver/verify/x/",
            "qr": "data:image/svg+xml,",
        },
    )


def test_record_is_thai_with_a_buddhist_year_date():
    signed_at = datetime.datetime(2026, 6, 10, 6, 5, tzinfo=datetime.UTC)
    with translation.override("en"), timezone.override("UTC"):
        html = _html(signed_at=signed_at)
    assert "บันทึกการรับรองข้อมูลนักเรียน" in html
    assert "10 มิถุนายน 2569 13:05" in html  # Thai months, BE year, Bangkok time, even in English
    assert "1,203" in html


def test_pdf_embeds_sarabun_and_no_other_font(signed_pdf):
    names = _font_names(signed_pdf)
    assert names and all("Sarabun" in name for name in names), names


def test_thai_is_laid_out_with_room_for_tone_marks():
    assert LINE_HEIGHT >= 1.45
    assert f"line-height: {LINE_HEIGHT}" in base_css()


def test_pdf_is_a4():
    reader = PdfFileReader(io.BytesIO(pdf_render(html="<p>ทดสอบ</p>").data))
    page = reader.find_page_for_modification(0)[0].get_object()
    box = page["/MediaBox"]
    width, height = float(box[2]), float(box[3])
    assert (round(width), round(height)) == (595, 842)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "http://example.invalid/x.png", "https://example.invalid/"]
)
def test_a_record_loads_nothing_but_its_fonts(url):
    with pytest.raises(ValueError):
        LocalFontFetcher().fetch(url)


def test_weasyprint_subsets_fonts_with_harfbuzz_not_fonttools():
    # Without libharfbuzz-subset0 (scripts/system-deps.sh) WeasyPrint falls back to fontTools and
    # a one-page record took 550 ms to render and sign instead of 136 ms.
    from weasyprint.text import ffi

    assert ffi.harfbuzz_subset is not None, "install libharfbuzz-subset0 (scripts/system-deps.sh)"


def test_record_prints_its_stated_date_and_the_real_signing_time_apart():
    stated_at = datetime.datetime(2026, 11, 10, 2, 30, tzinfo=datetime.UTC)
    signed_at = datetime.datetime(2026, 12, 4, 3, 0, tzinfo=datetime.UTC)
    with translation.override("th"):
        html = _html(stated_at=stated_at, signed_at=signed_at)
    assert "ลงวันที่ 10 พฤศจิกายน 2569 09:30 น." in html
    assert "เมื่อ 4 ธันวาคม 2569 10:00 น." in html
    assert "ลงวันที่ 4 ธันวาคม" not in html


def test_the_collector_is_paused_while_a_record_is_laid_out_and_resumed_after(monkeypatch):
    # A long annex's boxes all live until its PDF is written: full collections walking them again
    # and again took a third of a 3,000-learner annex's CPU (bench/bench_documents.py).
    laid_out, seen = render._laid_out, []

    def spy(html):
        seen.append(gc.isenabled())
        return laid_out(html)

    monkeypatch.setattr(render, "_laid_out", spy)
    assert pdf_render(html="<p>ทดสอบ</p>").pages == 1
    assert seen == [False] and gc.isenabled()

    def fails(html):
        raise RuntimeError("layout failed")

    monkeypatch.setattr(render, "_laid_out", fails)
    with pytest.raises(RuntimeError):
        pdf_render(html="<p>ทดสอบ</p>")
    assert gc.isenabled(), "a failed render must not leave the collector off"
