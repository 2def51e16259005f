"""OneRoster 1.2 Rostering (read-only): each endpoint's shape against the standard's fields, its
paging headers, filters, sort and field selection, and the key's reach allowed and denied."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from api.rostering.query import MAX_LIMIT
from api.services import api_key_revoke
from schools.identifiers import mask_citizen_id
from schools.models import EnrollmentStatus, Grade
from tests.census.subsidy_data import years

from ..factories import EnrollmentFactory, SchoolFactory, StudentFactory

pytestmark = pytest.mark.django_db
BASE = "/ims/oneroster/rostering/v1p2/"
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=ZoneInfo("Asia/Bangkok"))  # academic year 2569

ORG_FIELDS = {"sourcedId", "status", "dateLastModified", "metadata", "name", "type",
              "identifier", "parent", "children"}  # fmt: skip
SESSION_FIELDS = {"sourcedId", "status", "dateLastModified", "metadata", "title", "type",
                  "startDate", "endDate", "parent", "children", "schoolYear"}  # fmt: skip
USER_FIELDS = {"sourcedId", "status", "dateLastModified", "metadata", "userMasterIdentifier",
               "username", "userIds", "enabledUser", "givenName", "familyName", "middleName",
               "roles", "identifier", "email", "agents", "grades"}  # fmt: skip
CLASS_FIELDS = {"sourcedId", "status", "dateLastModified", "metadata", "title", "classCode",
                "classType", "location", "grades", "subjects", "course", "school", "terms",
                "periods"}  # fmt: skip
ENROLLMENT_FIELDS = {"sourcedId", "status", "dateLastModified", "metadata", "user", "class",
                     "school", "role", "primary", "beginDate", "endDate"}  # fmt: skip


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def url(path: str) -> str:
    return BASE + path


def enroll(school, grade=Grade.P1, room=1, **student):
    return EnrollmentFactory(
        school=school, grade=grade, room=room, student=StudentFactory(**student)
    )


def is_ref(ref: dict, kind: str, sourced_id: str) -> bool:
    return (
        ref["type"] == kind
        and ref["sourcedId"] == sourced_id
        and (kind == "course" or ref["href"].startswith("http://testserver" + BASE))
    )


# --- shapes -----------------------------------------------------------------------------------


def test_orgs_ministry_area_and_school(api_client, area, school, other_school, school_reader):
    _key, secret = school_reader
    response = api_client(secret).get(url("orgs"))
    assert response.status_code == 200
    orgs = {o["sourcedId"]: o for o in response.json()["orgs"]}
    assert set(orgs) == {"moe", f"area-{area.code}", school.code}
    assert all(set(o) == ORG_FIELDS for o in orgs.values())
    assert orgs["moe"]["type"] == "national" and orgs["moe"]["parent"] is None
    district = orgs[f"area-{area.code}"]
    assert district["type"] == "district" and is_ref(district["parent"], "org", "moe")
    # the children are only the schools in reach: a school's key does not list its neighbours
    assert [c["sourcedId"] for c in district["children"]] == [school.code]
    own = orgs[school.code]
    assert own["type"] == "school" and own["status"] == "active"
    assert own["name"] == school.name_th and own["identifier"] == school.code
    assert is_ref(own["parent"], "org", f"area-{area.code}")
    assert own["dateLastModified"].endswith("Z")


def test_schools_and_one_org(api_client, area, school, area_reader):
    _key, secret = area_reader
    client = api_client(secret)
    assert [o["sourcedId"] for o in client.get(url("schools")).json()["orgs"]] == [school.code]
    assert client.get(url(f"orgs/{school.code}")).json()["org"]["type"] == "school"
    assert client.get(url(f"orgs/area-{area.code}")).json()["org"]["type"] == "district"
    assert client.get(url(f"schools/{school.code}")).json()["org"]["name"] == school.name_th
    assert client.get(url(f"schools/area-{area.code}")).status_code == 404


def test_academic_sessions_years_and_rounds(api_client, school_reader):
    years(2569)
    _key, secret = school_reader
    client = api_client(secret)
    sessions = {s["sourcedId"]: s for s in client.get(url("academicSessions")).json()[
        "academicSessions"]}  # fmt: skip
    year = sessions["year-2569"]
    assert set(year) == SESSION_FIELDS
    assert year["type"] == "schoolYear" and year["schoolYear"] == "2027"
    assert (year["startDate"], year["endDate"]) == ("2026-05-16", "2027-05-15")
    first = sessions["round-2569-1"]
    assert first["type"] == "term" and is_ref(first["parent"], "academicSession", "year-2569")
    assert first["startDate"] == "2026-05-16" and first["endDate"] == "2026-06-10"
    second = sessions["round-2569-2"]
    assert second["startDate"] == "2026-06-11"
    assert [c["sourcedId"] for c in year["children"]] == ["round-2569-1", "round-2569-2",
                                                          "round-2569-3"]  # fmt: skip
    one = client.get(url("academicSessions/round-2569-2")).json()["academicSession"]
    assert one["endDate"] == second["endDate"]
    assert client.get(url("academicSessions/round-2569-9")).status_code == 404


def test_users_are_learners_with_thai_names_and_masked_ids(api_client, school, school_reader):
    enrollment = enroll(school, Grade.K1, first_name_th="สมชาย", last_name_th="ใจดี",
                        first_name_en="Somchai")  # fmt: skip
    student = enrollment.student
    _key, secret = school_reader
    client = api_client(secret)
    (user,) = client.get(url("users")).json()["users"]
    assert set(user) == USER_FIELDS
    assert user["sourcedId"] == str(student.public_id)
    assert (user["givenName"], user["familyName"]) == ("สมชาย", "ใจดี")
    assert user["metadata"]["opendmc.givenNameEn"] == "Somchai"
    assert user["identifier"] == mask_citizen_id(student.citizen_id)
    assert student.citizen_id not in client.get(url("users")).content.decode()
    assert user["grades"] == ["PR"] and user["enabledUser"] == "true"
    (role,) = user["roles"]
    assert role["role"] == "student" and role["roleType"] == "primary"
    assert is_ref(role["org"], "org", school.code) and role["beginDate"] == "2026-05-16"
    one = client.get(url(f"users/{student.public_id}")).json()["user"]
    assert one == user
    assert client.get(url(f"students/{student.public_id}")).json()["user"] == user


def test_grade_codes(api_client, school, school_reader):
    for grade in (Grade.K2, Grade.K3, Grade.P1, Grade.P6, Grade.M1, Grade.M6):
        enroll(school, grade)
    _key, secret = school_reader
    body = api_client(secret).get(url("classes")).json()
    assert sorted(c["grades"][0] for c in body["classes"]) == ["01", "06", "07", "12", "KG",
                                                               "PK"]  # fmt: skip


def test_classes_are_homerooms_of_the_year(api_client, school, school_reader):
    enroll(school, Grade.P1, 2)
    enroll(school, Grade.P1, 2)
    enroll(school, Grade.P1, 1)
    _key, secret = school_reader
    client = api_client(secret)
    classes = {c["sourcedId"]: c for c in client.get(url("classes")).json()["classes"]}
    assert set(classes) == {f"{school.code}-2569-P1-1", f"{school.code}-2569-P1-2"}
    klass = classes[f"{school.code}-2569-P1-2"]
    assert set(klass) == CLASS_FIELDS
    assert klass["classType"] == "homeroom" and klass["title"] == "ป.1/2"
    assert klass["grades"] == ["01"] and is_ref(klass["school"], "org", school.code)
    assert is_ref(klass["terms"][0], "academicSession", "year-2569")
    assert is_ref(klass["course"], "course", f"{school.code}-2569-P1")
    one = client.get(url(f"classes/{school.code}-2569-P1-2")).json()["class"]
    assert one == klass
    students = client.get(url(f"classes/{school.code}-2569-P1-2/students")).json()["users"]
    assert len(students) == 2
    nested = client.get(url(f"schools/{school.code}/classes")).json()["classes"]
    assert len(nested) == 2
    assert client.get(url(f"classes/{school.code}-2568-P1-2")).status_code == 404
    assert client.get(url(f"classes/{school.code}-2569-P1-3")).status_code == 404


def test_enrollments_learner_in_class(api_client, school, school_reader):
    enrollment = enroll(school, Grade.P4, 3)
    left = enroll(school, Grade.P4, 3)
    left.status, left.ended_on = EnrollmentStatus.TRANSFERRED_OUT, date(2026, 11, 30)
    left.save()
    long_gone = enroll(school, Grade.P4, 3)
    long_gone.status, long_gone.ended_on = EnrollmentStatus.TRANSFERRED_OUT, date(2026, 3, 1)
    long_gone.save()
    _key, secret = school_reader
    client = api_client(secret)
    body = client.get(url("enrollments")).json()["enrollments"]
    found = {e["user"]["sourcedId"]: e for e in body}
    # an enrollment that ended last academic year is no longer rostered
    assert set(found) == {str(enrollment.student.public_id), str(left.student.public_id)}
    mine = found[str(enrollment.student.public_id)]
    assert set(mine) == ENROLLMENT_FIELDS
    klass = f"{school.code}-2569-P4-3"
    assert mine["sourcedId"] == f"{klass}-{enrollment.student.public_id}"
    assert mine["role"] == "student" and mine["status"] == "active"
    assert is_ref(mine["class"], "class", klass) and is_ref(mine["school"], "org", school.code)
    assert mine["beginDate"] == "2026-05-16" and mine["endDate"] is None
    gone = found[str(left.student.public_id)]
    assert gone["status"] == "tobedeleted" and gone["endDate"] == "2026-11-30"
    one = client.get(url(f"enrollments/{mine['sourcedId']}")).json()["enrollment"]
    assert one == mine
    nested = client.get(url(f"schools/{school.code}/enrollments")).json()["enrollments"]
    assert len(nested) == 2
    students = client.get(url(f"schools/{school.code}/students")).json()["users"]
    statuses = {u["sourcedId"]: u["status"] for u in students}
    assert statuses == {str(enrollment.student.public_id): "active",
                        str(left.student.public_id): "tobedeleted"}  # fmt: skip


# --- paging, filter, sort, fields ---------------------------------------------------------


def test_paging_headers_and_links(api_client, school, school_reader):
    for _ in range(5):
        enroll(school)
    _key, secret = school_reader
    client = api_client(secret)
    response = client.get(url("users"), {"limit": 2, "offset": 2})
    assert response["X-Total-Count"] == "5"
    assert len(response.json()["users"]) == 2
    links = dict(
        (part.split(";")[1].strip(), part.split(";")[0].strip(" <>"))
        for part in response["Link"].split(",")
    )
    assert set(links) == {'rel="first"', 'rel="last"', 'rel="next"', 'rel="prev"'}
    assert "offset=4" in links['rel="next"'] and "offset=0" in links['rel="prev"']
    assert "offset=4" in links['rel="last"'] and "limit=2" in links['rel="first"']
    seen = []
    for offset in (0, 2, 4):
        page = client.get(url("users"), {"limit": 2, "offset": offset}).json()["users"]
        seen += [u["sourcedId"] for u in page]
    assert len(set(seen)) == 5
    last = client.get(url("users"), {"limit": 2, "offset": 4})
    assert 'rel="next"' not in last["Link"]
    first = client.get(url("users"))
    assert first["X-Total-Count"] == "5" and 'rel="prev"' not in first["Link"]


def test_limit_is_capped_and_bad_paging_refused(api_client, school, school_reader):
    enroll(school)
    _key, secret = school_reader
    client = api_client(secret)
    response = client.get(url("users"), {"limit": MAX_LIMIT + 5})
    assert response.status_code == 200 and f"limit={MAX_LIMIT}" in response["Link"]
    for bad in ({"limit": "0"}, {"limit": "x"}, {"offset": "-1"}):
        response = client.get(url("users"), bad)
        assert response.status_code == 400
        assert response.json()["imsx_codeMajor"] == "failure"


def _ids(response, collection):
    assert response.status_code == 200, response.content
    return [row["sourcedId"] for row in response.json()[collection]]


def test_filter_each_operator_on_users(api_client, school, school_reader, clock):
    a = enroll(school, first_name_th="กมล").student
    b = enroll(school, first_name_th="ขวัญ").student
    clock.shift(timedelta(hours=1))
    c = enroll(school, first_name_th="คณิน").student
    _key, secret = school_reader
    client = api_client(secret)
    since = "2026-12-04T03:30:00Z"  # between a, b and c (10:00 and 11:00 Bangkok)

    def users(text):
        return set(_ids(client.get(url("users"), {"filter": text}), "users"))

    ids = {x: str(x.public_id) for x in (a, b, c)}
    assert users("givenName='ขวัญ'") == {ids[b]}
    assert users("givenName!='ขวัญ'") == {ids[a], ids[c]}
    assert users(f"dateLastModified>'{since}'") == {ids[c]}
    assert users(f"dateLastModified>='{since}'") == {ids[c]}
    assert users(f"dateLastModified<'{since}'") == {ids[a], ids[b]}
    assert users(f"dateLastModified<='{since}'") == {ids[a], ids[b]}
    assert users("givenName~'ณิ'") == {ids[c]}
    assert users("givenName='กมล' OR givenName='คณิน'") == {ids[a], ids[c]}
    assert users(f"givenName!='กมล' AND dateLastModified<'{since}'") == {ids[b]}
    assert users("status='active'") == {ids[a], ids[b], ids[c]}
    assert users("status='tobedeleted'") == set()


def test_filter_on_collections_built_in_memory(api_client, area, school, area_reader):
    second = SchoolFactory(area_office=area, name_th="โรงเรียนวัดสอง")
    _key, secret = area_reader
    client = api_client(secret)

    def orgs(text):
        return set(_ids(client.get(url("orgs"), {"filter": text}), "orgs"))

    assert orgs("type='school'") == {school.code, second.code}
    assert orgs("type!='school'") == {"moe", f"area-{area.code}"}
    assert orgs("name~'วัดสอง'") == {second.code}
    assert orgs(f"parent='area-{area.code}'") == {school.code, second.code}
    assert orgs("type='national' OR type='district'") == {"moe", f"area-{area.code}"}
    assert orgs(f"type='school' AND identifier>'{school.code}'") == (
        {second.code} if second.code > school.code else set()
    )
    assert orgs("dateLastModified>='2026-12-04'") == {"moe", f"area-{area.code}", school.code,
                                                      second.code}  # fmt: skip
    assert orgs("dateLastModified<'2026-12-04'") == set()
    assert orgs("dateLastModified<='2026-12-05'") == orgs("dateLastModified>'2026-01-01'")


def test_filter_on_enrollments_dates(api_client, school, school_reader):
    early = enroll(school)
    late = enroll(school)
    late.started_on = date(2026, 8, 1)
    late.save()
    _key, secret = school_reader
    client = api_client(secret)
    response = client.get(url("enrollments"), {"filter": "beginDate>'2026-06-01'"})
    assert [e["user"]["sourcedId"] for e in response.json()["enrollments"]] == [
        str(late.student.public_id)
    ]
    response = client.get(url("enrollments"), {"filter": "beginDate<='2026-06-01'"})
    assert [e["user"]["sourcedId"] for e in response.json()["enrollments"]] == [
        str(early.student.public_id)
    ]


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("givenName", "invalid_filter_field"),
        ("givenName='a' AND familyName='b' AND status='active'", "invalid_filter_field"),
        ("password='x'", "invalid_filter_field"),
        ("givenName=='x'", "invalid_filter_field"),
        ("dateLastModified>'yesterday'", "invalid_filter_field"),
        ("status='gone'", "invalid_filter_field"),
        ("sourcedId='not-a-uuid'", "invalid_filter_field"),
    ],
)
def test_bad_filter_is_400_in_imsx_shape(api_client, school, school_reader, text, minor):
    _key, secret = school_reader
    response = api_client(secret, "en").get(url("users"), {"filter": text})
    assert response.status_code == 400
    body = response.json()
    assert body["imsx_codeMajor"] == "failure" and body["imsx_severity"] == "error"
    assert body["imsx_description"]
    field = body["imsx_CodeMinor"]["imsx_codeMinorField"][0]
    assert field["imsx_codeMinorFieldValue"] == minor


def test_bad_filter_message_is_thai_by_default(api_client, school_reader):
    _key, secret = school_reader
    response = api_client(secret).get(url("orgs"), {"filter": "colour='red'"})
    assert response.status_code == 400
    assert "colour" in response.json()["imsx_description"]
    english = api_client(secret, "en").get(url("orgs"), {"filter": "colour='red'"})
    assert english.json()["imsx_description"] != response.json()["imsx_description"]


def test_sort_and_order(api_client, school, school_reader):
    for name in ("ขวัญ", "กมล", "คณิน"):
        enroll(school, first_name_th=name)
    _key, secret = school_reader
    client = api_client(secret)

    def names(**params):
        return [u["givenName"] for u in client.get(url("users"), params).json()["users"]]

    assert names(sort="givenName") == ["กมล", "ขวัญ", "คณิน"]
    assert names(sort="givenName", orderBy="desc") == ["คณิน", "ขวัญ", "กมล"]
    classes = client.get(url("orgs"), {"sort": "type", "orderBy": "desc"}).json()["orgs"]
    assert [o["type"] for o in classes] == ["school", "national", "district"]
    for bad in ({"sort": "password"}, {"sort": "givenName", "orderBy": "up"}):
        response = client.get(url("users"), bad)
        assert response.status_code == 400
        minor = response.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]
        assert minor["imsx_codeMinorFieldValue"] == "invalid_sort_field"


def test_fields_selection(api_client, school, school_reader):
    student = enroll(school).student
    _key, secret = school_reader
    client = api_client(secret)
    (user,) = client.get(url("users"), {"fields": "sourcedId,givenName"}).json()["users"]
    assert user == {"sourcedId": str(student.public_id), "givenName": student.first_name_th}
    one = client.get(url(f"users/{student.public_id}"), {"fields": "status"}).json()
    assert one == {"user": {"status": "active"}}
    (org,) = client.get(url("schools"), {"fields": "name"}).json()["orgs"]
    assert org == {"name": school.name_th}
    response = client.get(url("users"), {"fields": "sourcedId,citizenId"})
    assert response.status_code == 400
    minor = response.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]
    assert minor["imsx_codeMinorFieldValue"] == "invalid_selection_field"


# --- reach ----------------------------------------------------------------------------------


def _every_path(school, student, enrollment_id, klass):
    return [
        f"orgs/{school.code}",
        f"schools/{school.code}",
        f"schools/{school.code}/classes",
        f"schools/{school.code}/enrollments",
        f"schools/{school.code}/students",
        f"users/{student.public_id}",
        f"students/{student.public_id}",
        f"classes/{klass}",
        f"classes/{klass}/students",
        f"enrollments/{enrollment_id}",
    ]


def _world(school):
    enrollment = enroll(school, Grade.M2, 4)
    klass = f"{school.code}-2569-M2-4"
    return enrollment.student, f"{klass}-{enrollment.student.public_id}", klass


def test_school_key_reaches_its_school(api_client, school, school_reader):
    student, enrollment_id, klass = _world(school)
    _key, secret = school_reader
    client = api_client(secret)
    for path in _every_path(school, student, enrollment_id, klass):
        assert client.get(url(path)).status_code == 200, path


def test_area_key_reaches_its_areas_schools(api_client, school, area_reader):
    student, enrollment_id, klass = _world(school)
    _key, secret = area_reader
    client = api_client(secret)
    for path in _every_path(school, student, enrollment_id, klass):
        assert client.get(url(path)).status_code == 200, path


@pytest.mark.parametrize("reader", ["school_reader", "school_writer", "area_reader"])
def test_foreign_objects_are_404(api_client, other_school, other_area, reader, request):
    student, enrollment_id, klass = _world(other_school)
    _key, secret = request.getfixturevalue(reader)
    client = api_client(secret)
    for path in [*_every_path(other_school, student, enrollment_id, klass),
                 f"orgs/area-{other_area.code}"]:  # fmt: skip
        response = client.get(url(path))
        assert response.status_code == 404, path
        minor = response.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]
        assert minor["imsx_codeMinorFieldValue"] == "unknownobject"
    for collection in ("users", "enrollments", "classes"):
        assert client.get(url(collection)).json()[collection] == []
    orgs = client.get(url("orgs")).content.decode()
    assert other_school.code not in orgs and other_area.code not in orgs


def test_learner_who_moved_is_seen_by_each_school_as_its_own(api_client, school, other_school,
                                                            school_reader):  # fmt: skip
    there = enroll(other_school)
    _key, secret = school_reader
    client = api_client(secret)
    assert client.get(url(f"users/{there.student.public_id}")).status_code == 404


def test_no_key_is_401(api_client, school):
    student, enrollment_id, klass = _world(school)
    client = api_client(None)
    for path in ["orgs", "users", *_every_path(school, student, enrollment_id, klass)]:
        response = client.get(url(path))
        assert response.status_code == 401, path
        minor = response.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]
        assert minor["imsx_codeMinorFieldValue"] == "unauthorisedrequest"
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_and_expired_keys_are_401(api_client, director, school, make_key):
    enroll(school)
    revoked, revoked_secret = make_key(by=director, school=school, name="old")
    api_key_revoke(key=revoked, actor=director)
    _expired, expired_secret = make_key(by=director, school=school, name="short", days=1)
    assert api_client(revoked_secret).get(url("users")).status_code == 401
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1), tick=False):
        assert api_client(expired_secret).get(url("users")).status_code == 401


def test_writes_are_refused(api_client, school, school_writer):
    _key, secret = school_writer
    for method in ("post", "put", "delete"):
        response = getattr(api_client(secret), method)(url("users"))
        assert response.status_code == 405
        assert response.json()["imsx_codeMajor"] == "failure"


def test_rate_limit_as_the_api(api_client, school_reader, settings):
    settings.API_RATE_LIMIT = "2/min"
    _key, secret = school_reader
    client = api_client(secret)
    assert client.get(url("orgs")).status_code == 200
    assert client.get(url("orgs")).status_code == 200
    response = client.get(url("orgs"))
    assert response.status_code == 429 and "Retry-After" in response


# --- query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize("collection", ["users", "enrollments", "classes", "orgs"])
def test_query_count_is_fixed(api_client, area, school, area_reader, size, collection,
                              django_assert_num_queries):  # fmt: skip
    # the key, the key's national roles; then users: the count, the page, the page's roster rows;
    # enrollments: the count and the page; classes: one aggregate; orgs: the schools and areas
    expected = {"users": 5, "enrollments": 4, "classes": 3, "orgs": 4}
    for i in range(size):
        enroll(SchoolFactory(area_office=area) if i % 2 else school, Grade.P1, 1 + i)
    _key, secret = area_reader
    client = api_client(secret)
    client.get(url(collection))  # the key's last use is noted on the first call only
    with django_assert_num_queries(expected[collection]):
        response = client.get(url(collection), {"limit": 50})
    assert response.status_code == 200


# --- statuses and syncing ------------------------------------------------------------------------


def test_closed_school_and_emptied_class_are_tobedeleted(api_client, school, school_reader):
    left = enroll(school, Grade.M3, 2)
    left.status, left.ended_on = EnrollmentStatus.DROPPED_OUT, date(2026, 12, 1)
    left.save()
    school.status, school.closed_on = school.Status.CLOSED, date(2026, 12, 2)
    school.save()
    _key, secret = school_reader
    client = api_client(secret)
    (org,) = client.get(url("schools")).json()["orgs"]
    assert org["status"] == "tobedeleted"
    (klass,) = client.get(url("classes")).json()["classes"]
    assert klass["sourcedId"] == f"{school.code}-2569-M3-2" and klass["status"] == "tobedeleted"
    (user,) = client.get(url("users")).json()["users"]
    assert user["status"] == "tobedeleted" and user["enabledUser"] == "false"


def test_a_sync_sees_only_what_changed_since(api_client, school, school_reader, clock):
    stays = enroll(school)
    leaves = enroll(school)
    clock.shift(timedelta(days=1))
    leaves.status, leaves.ended_on = EnrollmentStatus.TRANSFERRED_OUT, date(2026, 12, 5)
    leaves.save()
    since = "2026-12-04T12:00:00Z"
    _key, secret = school_reader
    client = api_client(secret)
    changed = client.get(url("enrollments"), {"filter": f"dateLastModified>'{since}'"})
    (row,) = changed.json()["enrollments"]
    assert row["user"]["sourcedId"] == str(leaves.student.public_id)
    assert row["status"] == "tobedeleted" and changed["X-Total-Count"] == "1"
    users = client.get(url("users"), {"filter": f"dateLastModified>'{since}'"}).json()["users"]
    assert [u["sourcedId"] for u in users] == [str(leaves.student.public_id)]
    assert str(stays.student.public_id) not in changed.content.decode()


def test_sessions_filter_sort_and_fields(api_client, school_reader):
    years(2568, 2569)
    _key, secret = school_reader
    client = api_client(secret)
    terms = client.get(
        url("academicSessions"),
        {"filter": "type='term' AND parent='year-2569'", "sort": "startDate",
         "orderBy": "desc", "fields": "sourcedId"},
    ).json()["academicSessions"]  # fmt: skip
    assert terms == [{"sourcedId": f"round-2569-{n}"} for n in (3, 2, 1)]
    years_only = client.get(url("academicSessions"), {"filter": "startDate<'2026-01-01'"})
    # round 3 starts the day after round 2's count day (10 November 2025)
    assert _ids(years_only, "academicSessions") == [
        "round-2568-1", "round-2568-2", "round-2568-3", "year-2568"
    ]  # fmt: skip
