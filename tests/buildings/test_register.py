"""The building register: permissions, validation and photos."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from buildings.models import Building, BuildingPhoto, SchoolLand

from .conftest import make_building

VALID = {
    "kind": "classroom", "name": "อาคารเรียน 2", "design_code": "ป.1ฉ", "year_built": "2515",
    "rooms_design": "3", "rooms_in_use": "3", "special_rooms": "ห้องสมุด",
    "floor_area_m2": "216", "cost_baht": "850000", "funding": "budget", "condition": "poor",
    "in_use": "on",
}  # fmt: skip


def _image(fmt="JPEG", size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "persona,status",
    [
        ("staff", 200),
        ("director", 200),
        ("area_officer", 200),
        ("ministry_admin", 200),
        ("other_school_staff", 404),
        ("other_area_officer", 404),
        ("id_approver", 404),
    ],
)
def test_who_sees_the_register(client, school, persona, status, request):
    make_building(school)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("buildings:register", args=[school.code])).status_code == status


@pytest.mark.parametrize(
    "persona,status",
    [("staff", 302), ("director", 403), ("area_officer", 403), ("other_school_staff", 404)],
)
def test_who_adds_a_building(client, school, persona, status, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("buildings:add", args=[school.code]), VALID)
    assert response.status_code == status
    assert Building.objects.filter(school=school).exists() == (status == 302)


def test_anonymous_is_sent_to_login(client, school):
    response = client.get(reverse("buildings:register", args=[school.code]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_edit_and_delete(client, school, staff, director):
    building = make_building(school)
    client.force_login(director)
    assert (
        client.post(reverse("buildings:delete", args=[school.code, building.pk])).status_code == 403
    )
    client.force_login(staff)
    edit = reverse("buildings:edit", args=[school.code, building.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, {**VALID, "name": "อาคารเรียน 1"}).status_code == 302
    building.refresh_from_db()
    assert building.condition == "poor" and building.rooms_in_use == 3
    assert (
        client.post(reverse("buildings:delete", args=[school.code, building.pk])).status_code == 302
    )
    assert not Building.objects.exists()


def test_other_schools_building_is_404(client, school, other_school, staff):
    theirs = make_building(other_school)
    client.force_login(staff)
    assert client.get(reverse("buildings:edit", args=[school.code, theirs.pk])).status_code == 404


def test_building_validation_lands_on_the_form(client, school, staff):
    client.force_login(staff)
    response = client.post(
        reverse("buildings:add", args=[school.code]),
        {**VALID, "rooms_design": "2", "rooms_in_use": "5", "year_built": "2900"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "ห้องที่ใช้งานต้องไม่เกินจำนวนห้องตามแบบ" in str(form.errors["rooms_in_use"])
    assert "ไม่เกินปีปัจจุบัน" in str(form.errors["year_built"])
    assert not Building.objects.exists()


def test_age_is_computed_from_the_buddhist_year(client, school, staff, time_machine):
    from .conftest import at

    time_machine.move_to(at(11, 1, 9, 0), tick=False)
    make_building(school, year_built=2530)
    client.force_login(staff)
    response = client.get(reverse("buildings:register", args=[school.code]))
    assert response.context["buildings"][0][1] == 2569 - 2530


def test_photo_upload_accepts_jpeg_and_png_replacing_a_side(client, school, staff):
    building = make_building(school)
    client.force_login(staff)
    url = reverse("buildings:photos", args=[school.code, building.pk])
    for name, data in (("front.jpg", _image("JPEG")), ("front.png", _image("PNG"))):
        response = client.post(url, {"side": "front", "file": SimpleUploadedFile(name, data)})
        assert response.status_code == 302
    photo = BuildingPhoto.objects.get()
    assert photo.content_type == "image/png" and photo.side == "front"
    response = client.get(reverse("buildings:photo", args=[school.code, photo.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    "name,data",
    [
        ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200),  # a renamed .exe
        ("photo.jpg", "ไม่ใช่รูปภาพ just text".encode()),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20),  # a PNG header and nothing else
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 50),  # a JPEG header and nothing else
    ],
)
def test_photo_upload_refuses_what_is_not_an_image(client, school, staff, name, data):
    building = make_building(school)
    client.force_login(staff)
    response = client.post(
        reverse("buildings:photos", args=[school.code, building.pk]),
        {"side": "back", "file": SimpleUploadedFile(name, data, content_type="image/jpeg")},
    )
    assert response.status_code == 200
    assert "รับเฉพาะรูปภาพ JPEG หรือ PNG" in response.content.decode()
    assert not BuildingPhoto.objects.exists()


def test_photo_upload_refuses_an_oversized_file(client, school, staff, settings):
    settings.BUILDING_PHOTO_MAX_BYTES = 1000
    building = make_building(school)
    client.force_login(staff)
    response = client.post(
        reverse("buildings:photos", args=[school.code, building.pk]),
        {"side": "left", "file": SimpleUploadedFile("big.png", _image("PNG", (600, 600)))},
    )
    assert response.status_code == 200
    assert "ไฟล์ใหญ่เกิน" in response.content.decode()
    assert not BuildingPhoto.objects.exists()


def test_photo_is_hidden_from_other_schools(client, school, staff, other_school_staff):
    building = make_building(school)
    client.force_login(staff)
    client.post(
        reverse("buildings:photos", args=[school.code, building.pk]),
        {"side": "front", "file": SimpleUploadedFile("f.jpg", _image())},
    )
    photo = BuildingPhoto.objects.get()
    client.force_login(other_school_staff)
    url = reverse("buildings:photo", args=[school.code, photo.public_id])
    assert client.get(url).status_code == 404
    url = reverse("buildings:photos", args=[school.code, building.pk])
    assert client.get(url).status_code == 404


def test_land_in_rai_ngan_wa_or_square_metres(client, school, staff, director):
    client.force_login(director)
    url = reverse("buildings:land", args=[school.code])
    assert client.post(url, {"rai": "1", "document": "chanote"}).status_code == 403
    client.force_login(staff)
    response = client.post(url, {"area_m2": "5000", "document": "ratchaphatsadu"})
    assert response.status_code == 302
    land = SchoolLand.objects.get(school=school)
    assert (land.rai, land.ngan, land.square_wa) == (3, 0, 50)  # 4800 m² + 200 m²
    assert land.area_m2 == 5000
    response = client.post(url, {"rai": "2", "ngan": "3", "square_wa": "99.5", "document": "ns3"})
    land.refresh_from_db()
    assert (land.rai, land.ngan, float(land.square_wa), land.document) == (2, 3, 99.5, "ns3")
    response = client.post(url, {"rai": "2", "ngan": "3", "square_wa": "120", "document": "ns3"})
    assert response.status_code == 200
    assert "ตารางวามีค่า 0–99" in response.content.decode()


def test_register_page_queries_do_not_grow(client, school, staff, django_assert_num_queries):
    client.force_login(staff)
    url = reverse("buildings:register", args=[school.code])
    client.get(url)  # warm the content types, read once per process
    for n in (2, 12):
        for i in range(n - Building.objects.count()):
            make_building(school, name=f"อาคาร {i}")
        with django_assert_num_queries(14):  # none per building
            assert len(client.get(url).context["buildings"]) == n
