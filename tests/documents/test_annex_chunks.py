"""A long annex is laid out in chunks of rows and signed once whole: one PDF that verifies, whose
pages read as one layout of the whole roster would (settings.ANNEX_CHUNK_ROWS)."""

import gc
import io
import re

import pypdf
import pytest
from django.urls import reverse

from documents import render
from documents.models import SignedDocument
from documents.verify import document_check, pdf_verify

from ..factories import EnrollmentFactory
from .conftest import issue, issue_annex

LEARNERS = 100  # three pages: chunks of 40 rows are laid out as 29-68 and 63-100 after 1-40
ROW = re.compile(r"^(\d+) \d-\d{4}-\d\dxxx-xx-\d ")


@pytest.fixture
def long_roster(school):
    return EnrollmentFactory.create_batch(LEARNERS, school=school)


def rendered_annex(school, director, step_key, capture) -> tuple[SignedDocument, list[str]]:
    parent = issue(school, director, step_key=step_key)
    with capture(execute=True):
        annex = issue_annex(parent, school)
    annex.refresh_from_db()
    assert annex.status == SignedDocument.Status.READY
    data = annex.file.read()
    assert pdf_verify(data=data).valid
    assert document_check(document=annex).ok
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.trailer["/Root"]["/Lang"] == "th"  # kept from the first chunk, for readers
    pages = [page.extract_text() for page in reader.pages]
    assert annex.pages == len(pages)
    return annex, pages


def row_numbers(page: str) -> list[int]:
    return [int(m[1]) for line in page.splitlines() if (m := ROW.match(line))]


def test_a_long_annex_in_chunks_is_one_signed_pdf_paged_as_if_laid_out_whole(
    settings, client, school, director, long_roster, django_capture_on_commit_callbacks, monkeypatch
):
    settings.ANNEX_CHUNK_ROWS = 1000
    whole, whole_pages = rendered_annex(
        school, director, "certification:whole", django_capture_on_commit_callbacks
    )
    laid_out, collector = render._laid_out, []

    def spy(html):
        collector.append(gc.isenabled())
        return laid_out(html)

    monkeypatch.setattr(render, "_laid_out", spy)
    settings.ANNEX_CHUNK_ROWS = 40
    annex, pages = rendered_annex(
        school, director, "certification:chunks", django_capture_on_commit_callbacks
    )
    # The parent record, then chunks of 40 rows from rows 1, 25, 59 and 93: each laid out with
    # the collector paused, resumed after each.
    assert collector == [False] * 5 and gc.isenabled()

    assert len(pages) == len(whole_pages) == 4
    # Each page begins and ends with the same learner as in the annex laid out whole: a chunk's
    # partly filled last page is laid out again at the head of the next chunk.
    assert [row_numbers(p) for p in pages] == [row_numbers(p) for p in whole_pages]
    assert [n for p in pages for n in row_numbers(p)] == list(range(1, LEARNERS + 1))
    # Numbered on across the chunks, without the total that no chunk knows.
    for number, page in enumerate(pages, start=1):
        assert re.search(rf"^หน้า {number}$", page, re.MULTILINE), page
        assert str(annex.public_id) in page.replace("\n", "")  # the verification footer
    # The heading (it names the parent record) opens the first chunk only; the end line (its
    # "รายชื่อ" extracts oddly) and the signature close the last.
    assert [str(annex.parent.public_id) in p.replace("\n", "") for p in pages] == [
        True, False, False, False
    ]  # fmt: skip
    ends = [f"นักเรียนทั้งสิ้น {LEARNERS} คน" in p for p in pages]
    assert ends == [False, False, False, True]
    signed = [f"โดย {annex.actor_name}\n" in p for p in pages]
    assert signed == [False, False, False, True]

    # The public verification page checks the one signature over the joined file.
    page = client.get(reverse("documents:verify", args=[annex.public_id])).content.decode()
    assert "✔ ถูกต้อง" in page and annex.sha256 in page and "4 หน้า" in page

    # The annex laid out whole is as before: "page / total", no end line.
    for number, page in enumerate(whole_pages, start=1):
        assert f"หน้า {number} / {len(whole_pages)}" in page
        assert "ทั้งสิ้น" not in page
    assert f"โดย {whole.actor_name}\n" in whole_pages[-1]
