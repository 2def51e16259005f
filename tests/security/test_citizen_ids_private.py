"""Citizen IDs stay out of URLs and logs: the roster search POSTs (the query is kept in the
session under an opaque key), and every log handler masks 13-digit sequences."""

import logging

import pytest
from django.urls import reverse

from config.log_filters import MaskCitizenIds, mask_citizen_ids
from schools.models import Grade

from ..factories import EnrollmentFactory


@pytest.fixture
def learners(school):
    return [EnrollmentFactory(school=school, grade=Grade.P3, room=1) for _ in range(3)]


def urls_of(response) -> list[str]:
    """Return every URL of a followed response: the redirect chain and the links of the page."""
    import re

    chain = [url for url, _status in getattr(response, "redirect_chain", [])]
    body = response.content.decode()
    return chain + re.findall(r'(?:href|action|src|hx-get|hx-post)="([^"]*)"', body)


def formatted(cid: str) -> str:
    return f"{cid[0]}-{cid[1:5]}-{cid[5:10]}-{cid[10:12]}-{cid[12]}"


@pytest.mark.parametrize("typed", ["bare", "formatted", "prefix"])
def test_searching_the_roster_by_id_keeps_the_id_out_of_every_url(
    client_as, staff, school, learners, typed
):
    client = client_as(staff)
    cid = learners[1].student.citizen_id
    query = {"bare": cid, "formatted": formatted(cid), "prefix": cid[:12]}[typed]
    response = client.post(reverse("schools:roster", args=[school.code]), {"q": query}, follow=True)
    assert response.status_code == 200
    assert [e.pk for e in response.context["page"]] == [learners[1].pk]
    assert response.redirect_chain and "?s=" in response.redirect_chain[-1][0]
    for url in urls_of(response):
        assert cid not in url and cid[:12] not in url and formatted(cid) not in url, url
    # The search box itself posts, with CSRF.
    body = response.content.decode()
    assert '<form method="post" class="dmc-filters">' in body


def test_the_pager_keeps_the_search_without_the_id(client_as, staff, school, settings):
    settings.ROSTER_PAGE_SIZE = 1
    learners = [EnrollmentFactory(school=school) for _ in range(3)]
    prefix = learners[0].student.citizen_id[:4]  # the factory's IDs share their first digits
    client = client_as(staff)
    first = client.post(reverse("schools:roster", args=[school.code]), {"q": prefix}, follow=True)
    assert first.context["page"].paginator.count == 3
    next_links = [u for u in urls_of(first) if "page=2" in u]
    assert next_links and all(prefix not in u for u in next_links)
    second = client.get(reverse("schools:roster", args=[school.code]) + next_links[0])
    assert second.context["page"].number == 2 and second.context["page"].paginator.count == 3


def test_an_old_link_with_an_id_is_moved_out_of_the_address_bar(client_as, staff, school, learners):
    cid = learners[0].student.citizen_id
    client = client_as(staff)
    response = client.get(reverse("schools:roster", args=[school.code]), {"q": cid}, follow=True)
    assert [e.pk for e in response.context["page"]] == [learners[0].pk]
    assert all(cid not in url for url in urls_of(response))


def test_a_name_search_by_get_still_works(client_as, staff, school, learners):
    name = learners[0].student.first_name_th
    response = client_as(staff).get(reverse("schools:roster", args=[school.code]), {"q": name})
    assert response.status_code == 200
    assert learners[0].pk in [e.pk for e in response.context["page"]]


def test_a_search_key_from_another_session_shows_the_whole_roster(
    client_as, client, staff, director, school, learners
):
    staff_client = client_as(staff)
    response = staff_client.post(
        reverse("schools:roster", args=[school.code]), {"q": learners[0].student.citizen_id}
    )
    from django.test import Client

    other = Client()
    other.force_login(director)
    page = other.get(response["Location"])
    assert page.context["page"].paginator.count == 3  # the key means nothing elsewhere


def test_outsiders_cannot_search_another_schools_roster(client_as, other_school_staff, school):
    response = client_as(other_school_staff).post(
        reverse("schools:roster", args=[school.code]), {"q": "1101700203450"}
    )
    assert response.status_code == 404


def test_links_and_redirects_of_learner_pages_carry_no_id(client_as, staff, school, learners):
    cid = learners[0].student.citizen_id
    client = client_as(staff)
    student_url = reverse("schools:student", args=[school.code, learners[0].student.public_id])
    for url in (reverse("schools:roster", args=[school.code]), student_url):
        response = client.get(url)
        assert response.status_code == 200
        assert all(cid not in u for u in urls_of(response)), url
    export = client.get(reverse("schools:export", args=[school.code]))
    assert cid not in export["Content-Disposition"]


# --- logs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["1101700203450", "1-1017-00203-45-0", "1 1017 00203 45 0", "๑๑๐๑๗๐๐๒๐๓๔๕๐", "x1101700203450y"],
)
def test_every_way_of_writing_an_id_is_masked(text):
    assert "0203" not in mask_citizen_ids(f"learner {text} moved")


@pytest.mark.parametrize(
    "text",
    [
        "550e8400-e29b-41d4-a716-446655440000",
        "2026-11-29 12:53:21",
        "school 1050130001",
        "12345678901234567890",
        "G123456789012",
    ],
)
def test_other_numbers_are_left_alone(text):
    assert mask_citizen_ids(text) == text


def test_a_log_record_with_an_id_is_masked_by_the_configured_handlers(caplog):
    root = logging.getLogger()
    handler = next(
        h for h in root.handlers if any(isinstance(f, MaskCitizenIds) for f in h.filters)
    )
    server = logging.getLogger("django.server").handlers[0]
    assert any(isinstance(f, MaskCitizenIds) for f in server.filters)
    record = logging.LogRecord(
        "schools", logging.WARNING, __file__, 1, "learner %s not found", ("1101700203450",), None
    )
    try:
        raise ValueError("duplicate key (citizen_id)=(1101700203450)")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    for f in handler.filters:
        f.filter(record)
    line = handler.format(record)
    assert "1101700203450" not in line
    assert "learner ############# not found" in line and "ValueError" in line


def test_a_logged_request_line_is_masked(caplog):
    logger = logging.getLogger("django.server")
    record = logger.makeRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s',
        ("GET /schools/1050130001/?q=1101700203450 HTTP/1.1", "200", "512"), None,
    )  # fmt: skip
    handler = logger.handlers[0]
    assert handler.filter(record)
    assert "1101700203450" not in handler.format(record)
    assert "1050130001" in handler.format(record)


def test_an_evidence_file_named_by_its_id_downloads_under_a_masked_name(
    client_as, staff, school, learners
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from schools.models import StudentDocument

    cid = learners[0].student.citizen_id
    client = client_as(staff)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    response = client.post(
        reverse("schools:evidence_upload", args=[school.code, learners[0].student.public_id]),
        {"kind": "id_card", "description": "", "file": SimpleUploadedFile(f"{cid}.pdf", pdf)},
    )
    assert response.status_code == 302
    document = StudentDocument.objects.get()
    download = client.get(reverse("schools:evidence", args=[school.code, document.public_id]))
    assert download.status_code == 200
    assert cid not in download["Content-Disposition"]
    assert "#############.pdf" in download["Content-Disposition"]
