"""The API's reads: each route allowed to the keys that reach the school and refused to others;
citizen IDs masked unless the key keeps the roster; lists pinned at two sizes."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from api.serializers import LearnerSerializer
from census.models import AreaWindow, SchoolRound
from schools.identifiers import mask_citizen_id
from schools.models import EnrollmentStatus, Grade
from tests.census.subsidy_data import P1, certify, rates_2567, years
from tests.documents.conftest import issue

from ..factories import EnrollmentFactory, SchoolFactory, StudentFactory

pytestmark = pytest.mark.django_db


def roster_of(school, n):
    return [EnrollmentFactory(school=school, grade=Grade.P3, room=1 + i % 2) for i in range(n)]


def _all_pages(client, url, **params):
    items, pages = [], 0
    while url:
        body = client.get(url, params).json()
        params = {}
        items += body["results"]
        url = body["next"]
        pages += 1
    return items, pages


def test_school_key_lists_its_school_only(api_client, school, other_school, school_reader):
    _key, secret = school_reader
    body = api_client(secret).get(reverse("api:schools")).json()
    assert [s["code"] for s in body["results"]] == [school.code]


def test_area_key_lists_its_areas_schools(api_client, area, school, other_school, area_reader):
    second = SchoolFactory(area_office=area)
    _key, secret = area_reader
    body = api_client(secret).get(reverse("api:schools")).json()
    assert [s["code"] for s in body["results"]] == sorted([school.code, second.code])


def test_roster_paged_by_cursor_with_every_learner_once(api_client, school, school_reader):
    roster = roster_of(school, 7)
    _key, secret = school_reader
    items, pages = _all_pages(
        api_client(secret), reverse("api:roster", args=[school.code]), page_size=3
    )
    assert pages == 3
    assert sorted(i["id"] for i in items) == sorted(str(e.student.public_id) for e in roster)


def test_read_key_sees_citizen_ids_masked(api_client, school, school_reader):
    (enrollment,) = roster_of(school, 1)
    _key, secret = school_reader
    (learner,) = api_client(secret).get(reverse("api:roster", args=[school.code])).json()["results"]
    assert learner["citizen_id"] == mask_citizen_id(enrollment.student.citizen_id)


def test_write_key_sees_full_citizen_ids(api_client, school, school_writer):
    (enrollment,) = roster_of(school, 1)
    _key, secret = school_writer
    (learner,) = api_client(secret).get(reverse("api:roster", args=[school.code])).json()["results"]
    assert learner["citizen_id"] == enrollment.student.citizen_id


def test_area_key_sees_citizen_ids_masked(api_client, school, area_reader):
    (enrollment,) = roster_of(school, 1)
    _key, secret = area_reader
    (learner,) = api_client(secret).get(reverse("api:roster", args=[school.code])).json()["results"]
    assert learner["citizen_id"] == mask_citizen_id(enrollment.student.citizen_id)


def test_updated_since_gives_the_changed_and_the_departed(
    api_client, school, school_reader, time_machine
):
    time_machine.move_to(timezone.now() - timedelta(days=3), tick=False)
    old, moved, left = roster_of(school, 3)
    time_machine.move_to(timezone.now() + timedelta(days=2), tick=False)
    since = timezone.now()
    moved.room = 9
    moved.save()
    left.status, left.ended_on = EnrollmentStatus.TRANSFERRED_OUT, timezone.localdate()
    left.save()
    _key, secret = school_reader
    body = (
        api_client(secret)
        .get(reverse("api:roster", args=[school.code]), {"updated_since": since.isoformat()})
        .json()
    )
    found = {i["id"]: i for i in body["results"]}
    assert set(found) == {str(moved.student.public_id), str(left.student.public_id)}
    assert found[str(left.student.public_id)]["status"] == EnrollmentStatus.TRANSFERRED_OUT


@pytest.mark.parametrize("which", ["school_reader", "school_writer"])
def test_roster_renders_each_learner_as_its_declared_fields_do(request, api_client, school, which):
    # The roster's serializer reads its fields the short way (a page of 500 learners); each
    # learner must come out exactly as DRF's own loop over the same declared fields renders it.
    with_id = EnrollmentFactory(
        school=school,
        student=StudentFactory(first_name_en="Thanakrit", last_name_en="Srisuk"),
        grade=Grade.P3,
        room=2,
    )
    with_gcode = EnrollmentFactory(
        school=school, student=StudentFactory(citizen_id=None, gcode="G690000000042")
    )
    _key, secret = request.getfixturevalue(which)
    body = api_client(secret).get(reverse("api:roster", args=[school.code])).json()
    generic = LearnerSerializer(context={"full_ids": which == "school_writer"})
    assert body["results"] == [
        serializers.Serializer.to_representation(generic, enrollment)
        for enrollment in (with_id, with_gcode)
    ]
    assert body["results"][1]["citizen_id"] is None
    assert body["results"][1]["gcode"] is not None


@pytest.mark.parametrize("size", [2, 12])
def test_roster_query_count_is_fixed(api_client, school, school_reader, size,
                                     django_assert_num_queries):  # fmt: skip
    roster_of(school, size)
    _key, secret = school_reader
    client = api_client(secret)
    url = reverse("api:roster", args=[school.code])
    client.get(url)  # the key's last use is noted on the first call only
    # the key, the school, its permissions asked for the school and the full IDs, the page
    with django_assert_num_queries(7):
        assert len(client.get(url).json()["results"]) == size


@pytest.mark.parametrize("size", [50, 500])
def test_roster_page_of_500_has_the_query_count_of_50(api_client, school, school_reader, size,
                                                      django_assert_num_queries):  # fmt: skip
    # The page bench/bench_api.py times: one page of up to 500 learners, to a read key.
    roster_of(school, size)
    _key, secret = school_reader
    client = api_client(secret)
    url = reverse("api:roster", args=[school.code])
    client.get(url)  # the key's last use is noted on the first call only
    with django_assert_num_queries(7):
        body = client.get(url, {"page_size": 500}).json()
    assert len(body["results"]) == size
    assert body["next"] is None


@pytest.mark.parametrize("size", [1, 6])
def test_school_list_query_count_is_fixed(api_client, area, area_reader, size,
                                          django_assert_num_queries):  # fmt: skip
    for _ in range(size):
        SchoolFactory(area_office=area)
    _key, secret = area_reader
    client = api_client(secret)
    client.get(reverse("api:schools"))
    with django_assert_num_queries(3):
        assert len(client.get(reverse("api:schools")).json()["results"]) == size


@pytest.mark.parametrize("persona_key", ["other_school_key", "other_area_key"])
def test_foreign_keys_reach_nothing_of_the_school(request, api_client, school, persona_key):
    (enrollment,) = roster_of(school, 1)
    _key, secret = request.getfixturevalue(persona_key)
    client = api_client(secret)
    for url in (
        reverse("api:school", args=[school.code]),
        reverse("api:roster", args=[school.code]),
        reverse("api:learner", args=[school.code, enrollment.student.public_id]),
        reverse("api:records", args=[school.code]),
        reverse("api:subsidy", args=[school.code, 2567, 1]),
    ):
        assert client.get(url).status_code == 404, url


@pytest.fixture
def other_school_key(make_key, other_school_director, other_school):
    return make_key(by=other_school_director, school=other_school)


@pytest.fixture
def other_area_key(make_key, other_area_officer, other_area):
    return make_key(by=other_area_officer, area_office=other_area)


def test_learner_of_the_school(api_client, school, school_reader):
    (enrollment,) = roster_of(school, 1)
    _key, secret = school_reader
    body = (
        api_client(secret)
        .get(reverse("api:learner", args=[school.code, enrollment.student.public_id]))
        .json()
    )
    assert body["first_name_th"] == enrollment.student.first_name_th
    assert body["grade"] == Grade.P3


def test_learner_of_another_school_is_not_found_through_this_one(
    api_client, school, other_school, school_reader
):
    foreign = EnrollmentFactory(school=other_school, student=StudentFactory())
    _key, secret = school_reader
    url = reverse("api:learner", args=[school.code, foreign.student.public_id])
    assert api_client(secret).get(url).status_code == 404


def test_rounds_states_and_certified_counts(api_client, school, other_school, area_reader):
    rounds = years(2567)
    round1 = rounds[(2567, 1)]
    certify(school, round1, [(P1, "M", date(2017, 1, 1)), (P1, "F", date(2017, 2, 1))])
    certify(other_school, round1, [(P1, "M", date(2017, 1, 1))])
    _key, secret = area_reader
    client = api_client(secret)
    listed = client.get(reverse("api:rounds")).json()["results"]
    assert {r["id"] for r in listed} == {r.pk for r in rounds.values()}
    states = client.get(reverse("api:round_states", args=[round1.pk])).json()["results"]
    assert states == [
        {
            "school": school.code,
            "state": SchoolRound.State.CERTIFIED,
            "confirmed_at": None,
            "certified_at": None,
            "acknowledged_at": None,
        }
    ]
    counts = client.get(reverse("api:round_counts", args=[round1.pk])).json()["results"]
    assert len(counts) == 1
    assert counts[0]["school"] == school.code and counts[0]["learner_count"] == 2
    assert counts[0]["counts"] == {P1: {"M": 1, "F": 1}}


@pytest.mark.parametrize("size", [1, 5])
def test_round_counts_query_count_is_fixed(api_client, area, area_reader, size,
                                           django_assert_num_queries):  # fmt: skip
    round1 = years(2567)[(2567, 1)]
    for _ in range(size):
        certify(SchoolFactory(area_office=area), round1, [(P1, "M", date(2017, 1, 1))])
    _key, secret = area_reader
    client = api_client(secret)
    url = reverse("api:round_counts", args=[round1.pk])
    client.get(url)
    with django_assert_num_queries(4):
        assert len(client.get(url).json()["results"]) == size


def test_records_listed_and_downloaded(api_client, school, director, school_reader):
    document = issue(school, director)
    _key, secret = school_reader
    client = api_client(secret)
    (listed,) = client.get(reverse("api:records", args=[school.code])).json()["results"]
    assert listed["id"] == str(document.public_id) and listed["sha256"] == document.sha256
    response = client.get(reverse("api:record_download", args=[school.code, document.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_record_of_another_school_is_not_downloaded_through_this_one(
    api_client, school, other_school, other_school_director, school_reader
):
    document = issue(other_school, other_school_director, step_key="certification:9:certify")
    _key, secret = school_reader
    url = reverse("api:record_download", args=[school.code, document.public_id])
    assert api_client(secret).get(url).status_code == 404


def test_subsidy_of_the_school(api_client, school, school_reader):
    rounds = years(2566, 2567)
    rates_2567()
    certify(school, rounds[(2566, 2)], [(P1, "M", date(2017, 1, 1))])
    certify(school, rounds[(2567, 1)], [(P1, "M", date(2017, 1, 1))])
    _key, secret = school_reader
    body = api_client(secret).get(reverse("api:subsidy", args=[school.code, 2567, 1])).json()
    assert body["school"] == school.code and body["term"] == 1
    assert [p["key"] for p in body["payments"]] == ["advance", "balance"]
    assert all(p["funded"] for p in body["payments"])
    assert float(body["total"]) > 0


def test_rounds_carry_the_callers_own_windows_where_the_ministry_staggered_them(
    api_client, make_key, school_reader, area_reader, other_school, other_school_director
):
    """A round the ministry staggered binds an area office and its schools by their own windows:
    their keys read those, named by the area office; another area office's school reads the
    round's."""
    rounds = years(2567)
    june, november = rounds[(2567, 1)], rounds[(2567, 2)]
    area = school_reader[0].school.area_office
    hour = timedelta(hours=1)
    AreaWindow.objects.create(
        round=june, area_office=area, confirm_opens=june.confirm_opens + hour,
        confirm_closes=june.confirm_opens + 2 * hour, certify_opens=june.certify_opens + hour,
        certify_closes=june.certify_opens + 2 * hour,
    )  # fmt: skip
    _key, other_secret = make_key(by=other_school_director, school=other_school)
    for (_key, secret), area_code, shift in (
        (school_reader, area.code, hour),
        (area_reader, area.code, hour),
        ((None, other_secret), None, timedelta(0)),
    ):
        listed = {
            r["id"]: r for r in api_client(secret).get(reverse("api:rounds")).json()["results"]
        }
        assert listed[june.pk]["area_office"] == area_code
        assert parse_datetime(listed[june.pk]["confirm_opens"]) == june.confirm_opens + shift
        assert parse_datetime(listed[june.pk]["certify_closes"]) == (
            june.certify_opens + 2 * hour if shift else june.certify_closes
        )
        assert listed[november.pk]["area_office"] is None
        assert parse_datetime(listed[november.pk]["confirm_opens"]) == november.confirm_opens
