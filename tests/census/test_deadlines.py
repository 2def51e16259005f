"""Each user's deadlines: on the calendar page, on the home page and in a private .ics feed."""

from datetime import date, datetime, time

import pytest
from django.urls import reverse
from django.utils import timezone

from census.models import CalendarFeed
from census.services import academic_year_create


def bkk(day, hh, mm):
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(bkk(date(2026, 11, 1), 7, 0), tick=False)


@pytest.fixture
def year(db):
    return academic_year_create(year_be=2569, actor=None)


def unfold(body: bytes) -> list[str]:
    """Return an iCalendar file's content lines, folding undone (RFC 5545 §3.1)."""
    return body.decode().replace("\r\n ", "").split("\r\n")


def events(lines):
    out, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            out.append(current)
            current = None
        elif current is not None and ":" in line and not line.startswith(("BEGIN", "END")):
            key, value = line.split(":", 1)
            current.setdefault(key.split(";")[0], value)
    return out


def make_feed(client):
    response = client.post(reverse("census:feed_manage"), {"action": "create"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    url = response.context["feed_url"]
    return url.split("testserver", 1)[1]


def test_staff_see_their_confirm_windows_and_the_id_cutoffs_not_the_directors(
    client_as, staff, year
):
    response = client_as(staff).get(reverse("census:index"))
    kinds = [d.kind for d in response.context["deadlines"]]
    assert set(kinds[:2]) == {"id_cutoff", "confirm"}  # round 2: the cut-off ends with the window
    assert "certify" not in kinds
    assert "ยืนยันข้อมูล" in response.content.decode()


def test_the_director_sees_certify_windows(client_as, director, year):
    response = client_as(director).get(reverse("census:index"))
    assert {d.kind for d in response.context["deadlines"]} == {"certify"}


def test_the_home_page_shows_the_next_deadline(client_as, staff, year):
    response = client_as(staff).get(reverse("home"))
    first = response.context["deadlines"][0]
    assert first.ends == bkk(date(2026, 11, 10), 16, 30)
    assert "10 พ.ย. 2569 16:30" in response.content.decode()


def test_the_feed_lists_the_users_deadlines_in_utc_with_a_reminder(client, client_as, staff, year):
    path = make_feed(client_as(staff))
    client.logout()
    response = client.get(path)  # a phone: no session
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    lines = unfold(response.content)
    assert lines[0] == "BEGIN:VCALENDAR" and "END:VCALENDAR" in lines
    assert all(len(line.encode()) <= 75 for line in response.content.decode().split("\r\n"))
    found = events(lines)
    confirm = [
        e for e in found if e["UID"].startswith(f"round-{year.rounds.get(number=2).pk}-confirm")
    ]
    assert len(confirm) == 1
    assert confirm[0]["DTSTART"] == "20261110T010000Z"  # 08:00 in Bangkok
    assert confirm[0]["DTEND"] == "20261110T093000Z"  # 16:30
    assert "ยืนยัน" in confirm[0]["SUMMARY"] and "confirm" in confirm[0]["SUMMARY"]
    assert "TRIGGER:-P1D" in lines
    assert not any(e["UID"].split("@")[0].endswith("certify") for e in found)


def test_a_revoked_link_is_refused(client, client_as, staff, year):
    path = make_feed(client_as(staff))
    response = client.post(reverse("census:feed_manage"), {"action": "revoke"})
    assert response.status_code == 302
    client.logout()
    assert client.get(path).status_code == 404


def test_a_new_link_ends_the_old_one(client, client_as, staff, year):
    signed_in = client_as(staff)
    old = make_feed(signed_in)
    new = make_feed(signed_in)
    client.logout()
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert CalendarFeed.objects.filter(user=staff, revoked_at__isnull=True).count() == 1


def test_the_token_is_not_kept_and_a_guess_is_refused(client, client_as, staff, year):
    path = make_feed(client_as(staff))
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    assert not CalendarFeed.objects.filter(token_hash__contains=token).exists()
    client.logout()
    assert (
        client.get(path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code
        == 404
    )
    assert client.get(reverse("census:feed", args=["x" * 200])).status_code == 404


def test_a_deactivated_users_link_stops(client, client_as, staff, year):
    path = make_feed(client_as(staff))
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    client.logout()
    assert client.get(path).status_code == 404


def test_making_a_link_needs_a_login(client):
    response = client.post(reverse("census:feed_manage"), {"action": "create"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_feed_reads_in_a_fixed_number_of_queries(
    client, client_as, area_officer, year, django_assert_num_queries
):
    path = make_feed(client_as(area_officer))
    client.logout()
    client.get(path)  # warm the content types, read once per process
    # One more than before staggered windows: the area office's own windows of the rounds.
    with django_assert_num_queries(6):
        few = client.get(path)
    academic_year_create(year_be=2570, actor=None)
    academic_year_create(year_be=2571, actor=None)
    with django_assert_num_queries(6):  # none per year or round
        many = client.get(path)
    assert many.content.count(b"BEGIN:VEVENT") > few.content.count(b"BEGIN:VEVENT")
