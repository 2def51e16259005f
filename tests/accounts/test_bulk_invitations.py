"""Bulk invitations from a file: a dry run writes and sends nothing; applying sends all or nothing;
every bad line is named with its reason; a damaged file is refused, never a server error."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Invitation, RoleChange

HEADER = "รหัสโรงเรียน,บทบาท,ชื่อ-สกุล,อีเมล\n"


def post(client, content: bytes, *, apply=False, name="people.csv"):
    data = {"file": SimpleUploadedFile(name, content, content_type="text/csv")}
    data["apply" if apply else "dry_run"] = "1"
    return client.post(reverse("people:bulk"), data)


@pytest.fixture
def officer(client_as, area_officer):
    return client_as(area_officer)


def good_file(school) -> str:
    return (
        HEADER
        + f"{school.code},ผู้อำนวยการ,สมชาย ใจดี,somchai@example.org\n"
        + f"{school.code},staff,Somsri Dee,SOMSRI@example.org\n"
    )


def test_a_dry_run_checks_and_writes_nothing(officer, school, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(officer, good_file(school).encode("utf-8-sig"))
    assert response.status_code == 200
    assert [o["errors"] for o in response.context["outcomes"]] == [[], []]
    assert not response.context["problems"]
    assert not Invitation.objects.exists()
    assert not RoleChange.objects.exclude(action="granted").exists()  # the personas' own roles
    assert not callbacks and not mail.outbox


def test_applying_sends_every_invitation(officer, school, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(officer, good_file(school).encode("utf-8-sig"), apply=True)
    assert response.status_code == 302
    invitations = {i.email: i for i in Invitation.objects.all()}
    assert set(invitations) == {"somchai@example.org", "somsri@example.org"}
    assert invitations["somchai@example.org"].role == "director"
    assert invitations["somchai@example.org"].last_name == "ใจดี"
    assert sorted(m.to[0] for m in mail.outbox) == ["somchai@example.org", "somsri@example.org"]


def test_a_tis620_file_is_read(officer, school):
    response = post(officer, good_file(school).encode("cp874"))
    assert response.status_code == 200 and not response.context["problems"]
    assert response.context["outcomes"][0]["row"].first_name == "สมชาย"


def test_every_bad_line_is_named_and_nothing_is_half_written(
    officer, school, other_school, staff, django_capture_on_commit_callbacks
):
    staff.email = "staff@example.org"
    staff.save(update_fields=["email"])
    content = (
        HEADER
        + f"{school.code},staff,สมชาย ใจดี,somchai@example.org\n"  # 2: fine
        + "9999999999,staff,ไม่มี โรงเรียน,nobody@example.org\n"  # 3: unknown school
        + f"{other_school.code},staff,นอก เขต,outside@example.org\n"  # 4: not overseen
        + f"{school.code},staff,ผิด รูปแบบ,not-an-email\n"  # 5: e-mail shape
        + f"{school.code},staff,สมชาย ใจดี,SomChai@example.org\n"  # 6: repeats 2
        + f"{school.code},janitor,คน ใหม่,new@example.org\n"  # 7: unknown role
        + f"{school.code},director,,noname@example.org\n"  # 8: no name
        + f"{school.code},staff,มี แล้ว,staff@example.org\n"  # 9: already holds it
        + ",,,\n"  # blank: skipped
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post(officer, content.encode(), apply=True)
    assert response.status_code == 200
    problems = {p["line"]: " ".join(p["messages"]) for p in response.context["problems"]}
    assert set(problems) == {3, 4, 5, 6, 7, 8, 9}
    assert "9999999999" in problems[3] and "ไม่พบ" in problems[3]
    assert "ไม่ได้ดูแล" in problems[4]
    assert "อีเมลไม่ถูกต้อง" in problems[5]
    assert "ซ้ำกับบรรทัดที่ 2" in problems[6]
    assert "janitor" in problems[7]
    assert "ไม่มีชื่อ" in problems[8]
    assert "อยู่แล้ว" in problems[9]
    assert (
        not Invitation.objects.exists() and not RoleChange.objects.filter(action="invited").exists()
    )
    assert not mail.outbox
    assert "ยังไม่ได้ส่ง" in response.content.decode()


@pytest.mark.parametrize(
    ("content", "name", "says"),
    [
        (b"", "people.csv", "ว่าง"),
        (b"\xff\xfe" + "รหัสโรงเรียน,บทบาท".encode("utf-16-le"), "people.csv", "CSV"),
        (b"a,b,c\n1,2,3\n", "people.csv", "ไม่พบหัวตาราง"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "people.csv", "CSV"),
        (b"PK\x03\x04broken zip", "people.xlsx", "Excel"),
        (b"plain text", "people.xlsx", "Excel"),
        (HEADER.encode(), "people.csv", "ไม่มีข้อมูล"),
        (HEADER.encode() + b'"1050130001,staff,\xe0\xb8\x81 \xe0\xb8\x82\n', "people.csv", None),
    ],
)
def test_a_damaged_file_is_refused_clearly(officer, content, name, says):
    response = post(officer, content, name=name, apply=True)
    assert response.status_code == 200
    if says:
        errors = " ".join(" ".join(e) for e in response.context["form"].errors.values())
        assert says in errors, errors
    assert not Invitation.objects.exists()


def test_a_file_over_the_size_limit_is_refused(officer):
    response = post(officer, HEADER.encode() + b"x" * (1024 * 1024), apply=True)
    assert response.status_code == 200 and response.context["form"].errors["file"]
