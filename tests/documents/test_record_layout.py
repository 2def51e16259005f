"""How a signed record's pages read: the signature never alone on a page, names never broken
inside a word, Thai broken between words."""

import io
from datetime import date
from types import SimpleNamespace

import pytest
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader

from documents.render import html_render, pdf_layout, pdf_render, qr_svg_data_uri
from documents.signing import pdf_sign
from documents.verify import pdf_verify

SIGNED = "ลงนามอิเล็กทรอนิกส์โดย"


def a_record() -> SimpleNamespace:
    now = timezone.now()
    return SimpleNamespace(
        title="สรุปจำนวนนักเรียน", school=None, area_office=None, get_kind_display="บันทึก",
        dated_at=now, signed_at=now, public_id="0000", actor_name="นายสมชาย ใจดี",
        actor_role="ผู้อำนวยการโรงเรียน",
    )  # fmt: skip


def record_pages(rows: list[list], headers: list[str]) -> list[list[str]]:
    context = {
        "record": a_record(),
        "qr": qr_svg_data_uri("https://example.invalid/verify/0000/"),
        "verify_url": "https://example.invalid/verify/0000/",
        "intro": "จำนวนนักเรียนที่รับรองแล้ว",
        "counts": {"headers": headers, "rows": rows, "total": ["รวม", *([0] * (len(headers) - 1))]},
    }
    return pdf_layout(html=html_render(template="documents/summary_record.html", context=context))


@pytest.mark.parametrize("rows", range(17, 27))
def test_the_signature_takes_the_end_of_the_table_to_its_page(rows):
    # Around 21 rows the table used to end at the foot of page 1 and the signature stood alone.
    pages = record_pages([[f"โรงเรียนแถว {i}", i] for i in range(rows)], ["โรงเรียน", "นักเรียน"])
    last = pages[-1]
    assert any(line.startswith(SIGNED) for line in last)
    assert "รวม" in last, f"{rows} rows: the signature's page holds no row of the table"


def test_a_name_in_a_narrow_cell_breaks_between_its_words_not_inside_one():
    headers = ["โรงเรียน", "ชาย", "หญิง", "รวม", "บาทต่อคนต่อปี", "จำนวนเงินทั้งสิ้น", "งวดแรก"]
    row = ["โรงเรียนวัดป่าแดด อำเภอแม่ริม", 123456, 123456, 1234567, 1234567, 123456789, 123456789]
    [page] = record_pages([row], headers)
    assert "โรงเรียนวัดป่าแดด" in page and "อำเภอแม่ริม" in page
    assert "ป่าแดด" not in page and "โรงเรียนวัด" not in page  # was "โรงเรียนวัด" / "ป่าแดด"
    # Thai headers still wrap, between words ("จำนวนเงิน" / "ทั้งสิ้น"), never mid-word.
    assert all(line not in ("จำนว", "นเงิน") for line in page)


def annex_html(names: list[str]) -> str:
    rows = [
        {"no": n, "identifier": "1-2345-67xxx-xx-3", "name": name, "sex": "หญิง", "grade": "ป.1",
         "room": 1, "birth_date": date(2019, 6, 10)}
        for n, name in enumerate(names, start=1)
    ]  # fmt: skip
    context = {
        "record": a_record(),
        "qr": qr_svg_data_uri("https://example.invalid/verify/0000/"),
        "verify_url": "https://example.invalid/verify/0000/",
        "rows": rows,
        "as_of": date(2026, 6, 10),
    }
    return html_render(template="documents/roster_annex.html", context=context)


def annex_pages(names: list[str]) -> list[list[str]]:
    return pdf_layout(html=annex_html(names))


def test_an_annex_name_that_fits_its_column_is_one_line_a_longer_one_breaks_between_words():
    short = "ด.ญ.พิมพ์ชนก แก้วมณี"
    long = "เด็กหญิงพิมพ์ชนกวรรณารัตน์ ศรีสุวรรณวงศ์ไพบูลย์กุล ณ อยุธยาวัฒนาสกุลวงศ์"
    [page] = annex_pages([short, long])
    assert short in page
    assert long not in page  # wider than its column: it wraps, at its spaces
    words = [token for line in page for token in line.split()]
    assert all(word in words for word in long.split())
    assert "9 มิ.ย. 2562" not in page and "10 มิ.ย. 2562" in page  # the Buddhist year


@pytest.mark.parametrize("rows", range(25, 32))
def test_the_annex_signature_takes_the_end_of_the_roster_to_its_page(rows):
    pages = annex_pages([f"ด.ช.ธนกฤต ศรีสุข{i}" for i in range(rows)])
    last = pages[-1]
    assert any(line.startswith(SIGNED) for line in last)
    assert f"ด.ช.ธนกฤต ศรีสุข{rows - 1}" in last, f"{rows} rows: the signature stands alone"
    assert f"หน้า {len(pages)} / {len(pages)}" in last


def test_a_long_annex_lists_every_learner_once_in_order_on_numbered_pages_and_verifies(
    signing_keys,
):
    names = [f"ด.ญ.ญาณิศา ทองดี{i}" for i in range(1, 131)]
    html = annex_html(names)
    pages = pdf_layout(html=html)
    assert len(pages) >= 4
    listed = [line for page in pages for line in page if line.startswith("ด.ญ.ญาณิศา")]
    assert listed == names  # each once, in order, none lost at a page break
    for number, page in enumerate(pages, start=1):
        assert f"หน้า {number} / {len(pages)}" in page
        assert "ชื่อ–นามสกุล" in page  # the table's header on every page
    assert any(line.startswith(SIGNED) for line in pages[-1])
    assert not any(line.startswith(SIGNED) for page in pages[:-1] for line in page)

    record = a_record()
    signed = pdf_sign(
        pdf=pdf_render(html=html).data, actor_name=record.actor_name,
        actor_role=record.actor_role, signed_at=record.signed_at, reason=record.title,
    )  # fmt: skip
    assert pdf_verify(data=signed).valid
    assert len(PdfFileReader(io.BytesIO(signed)).root["/Pages"]["/Kids"]) == len(pages)
