"""How a signed record's pages read: the signature never alone on a page, names never broken
inside a word, Thai broken between words."""

from types import SimpleNamespace

import pytest
from django.utils import timezone

from documents.render import html_render, pdf_layout, qr_svg_data_uri

SIGNED = "ลงนามอิเล็กทรอนิกส์โดย"


def record_pages(rows: list[list], headers: list[str]) -> list[list[str]]:
    now = timezone.now()
    record = SimpleNamespace(
        title="สรุปจำนวนนักเรียน", school=None, area_office=None, get_kind_display="บันทึก",
        dated_at=now, signed_at=now, public_id="0000", actor_name="นายสมชาย ใจดี",
        actor_role="ผู้อำนวยการโรงเรียน",
    )  # fmt: skip
    context = {
        "record": record,
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
