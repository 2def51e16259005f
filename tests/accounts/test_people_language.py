"""The pages the sweep cannot reach with its own values (a person's page, the end-role form, the
bulk results, the public invitation pages) speak Thai only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Invitation, Role
from tests.i18n.test_one_language import english_in, names_in_the_database, visible_text

from .people_helpers import invite, last_link


def english(response) -> list[str]:
    names = names_in_the_database()
    found = []
    for line in visible_text(response.content.decode()).splitlines():
        found += english_in(line, names)
    return found


@pytest.fixture
def thai(client_as):
    def sign_in(user):
        client = client_as(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "th"
        return client

    return sign_in


def test_the_people_pages_speak_thai(
    thai, area_officer, ministry_admin, staff, director, school, area,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    officer = thai(area_officer)
    with django_capture_on_commit_callbacks(execute=True):
        invite(officer, role=Role.STAFF, email="somjai@example.org", school=school)
    membership = director.memberships.get()
    pages = [
        reverse("people:person", args=[director.public_id]),
        reverse("people:end", args=[director.public_id, membership.pk]),
        reverse("people:area", args=[area.code]),
    ]
    for url in pages:
        response = officer.get(url)
        assert response.status_code == 200 and not english(response), (url, english(response))
    bulk = officer.post(
        reverse("people:bulk"),
        {
            "file": SimpleUploadedFile(
                "a.csv",
                f"school,role,name,email\n{school.code},ภารโรง,สมชาย,ผิด\n{school.code},staff,สมศรี,ผิด\n".encode(),
            ),
            "dry_run": "1",
        },
    )
    assert bulk.status_code == 200 and not english(bulk), english(bulk)
    admin = thai(ministry_admin)
    for url in (reverse("people:index"), reverse("people:invite")):
        response = admin.get(url)
        assert response.status_code == 200 and not english(response), (url, english(response))


def test_the_invitation_pages_speak_thai(
    thai, area_officer, school, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(thai(area_officer), role=Role.STAFF, email="somjai@example.org", school=school)
    link = last_link("somjai@example.org")
    visitor = Client(HTTP_ACCEPT_LANGUAGE="th")
    page = visitor.get(link)
    assert page.status_code == 200 and not english(page), english(page)
    refused = visitor.get(link[:-5] + "x/")
    assert refused.status_code == 400 and not english(refused), english(refused)
    Invitation.objects.update(revoked_at="2026-01-01T00:00:00Z")
    withdrawn = visitor.get(link)
    assert withdrawn.status_code == 410 and not english(withdrawn), english(withdrawn)
