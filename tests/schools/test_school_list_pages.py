"""The ministry's school-list pages: upload → dry run → apply, for the ministry admin only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from demo.register_file import area_code, country_rows, school_code, to_csv
from schools.models import AreaOffice, RegisterChange, RegisterImport, School

UPLOAD = reverse("schools:school_list")


def upload(client, rows, name="list.csv"):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, to_csv(rows))})


@pytest.fixture
def admin_client(client_as, ministry_admin):
    return client_as(ministry_admin)


@pytest.mark.django_db
def test_the_ministry_uploads_reads_the_dry_run_and_applies(admin_client):
    rows = country_rows(areas=3, schools=300)
    rows.append({"area_code": "1234", "school_code": "1000000001", "name_th": "โรงเรียนผิด"})
    response = upload(admin_client, rows)
    record = RegisterImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("schools:school_list_preview", args=[record.public_id])
    assert not School.objects.exists()  # a dry run first
    page = admin_client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert record.summary["counts"] == {
        "added": 303, "changed": 0, "closed": 0, "refused": 1, "unchanged": 0
    }  # fmt: skip
    assert body.count("<tr>") == 1 + 200 + 1 + 1  # new (first 200 of 303) and refused, with heads
    assert "8" in body and record.sha256 in body and school_code(1) in body
    applied = admin_client.post(reverse("schools:school_list_apply", args=[record.public_id]))
    assert applied.status_code == 302
    assert School.objects.count() == 300 and AreaOffice.objects.count() == 3
    assert RegisterChange.objects.filter(register_import=record).count() == 303
    record.refresh_from_db()
    assert record.status == RegisterImport.Status.APPLIED
    # A second click (a double submit, a back button) applies nothing twice.
    admin_client.post(reverse("schools:school_list_apply", args=[record.public_id]))
    assert RegisterChange.objects.count() == 303
    # The same file again: nothing to do, no button.
    upload(admin_client, rows)
    again = RegisterImport.objects.exclude(pk=record.pk).get()
    assert again.summary["counts"]["unchanged"] == 303
    page = admin_client.get(reverse("schools:school_list_preview", args=[again.public_id]))
    assert reverse("schools:school_list_apply", args=[again.public_id]) not in page.content.decode()


@pytest.mark.django_db
def test_apply_refuses_when_the_register_changed_after_the_preview(admin_client):
    rows = country_rows(areas=2, schools=20)
    upload(admin_client, rows)
    first = RegisterImport.objects.get()
    changed = [dict(r) for r in rows]
    changed[1]["name_th"] = "โรงเรียนอื่น"
    upload(admin_client, changed)
    second = RegisterImport.objects.exclude(pk=first.pk).get()
    admin_client.post(reverse("schools:school_list_apply", args=[second.public_id]))
    assert School.objects.count() == 20
    response = admin_client.post(
        reverse("schools:school_list_apply", args=[first.public_id]), follow=True
    )
    assert "ทะเบียนเปลี่ยนไปหลังจากตรวจไฟล์นี้" in response.content.decode()
    first.refresh_from_db()
    assert first.status == RegisterImport.Status.PREVIEWED
    assert School.objects.get(code=school_code(1)).name_th == "โรงเรียนอื่น"
    assert RegisterChange.objects.filter(register_import=first).count() == 0


@pytest.mark.django_db
def test_a_kept_file_changed_on_disk_is_refused(admin_client):
    upload(admin_client, country_rows(areas=1, schools=5))
    record = RegisterImport.objects.get()
    with record.file.open("wb") as handle:
        handle.write(to_csv(country_rows(areas=1, schools=6)))
    admin_client.post(reverse("schools:school_list_apply", args=[record.public_id]))
    assert not School.objects.exists()


@pytest.mark.django_db
@override_settings(SCHOOL_REGISTER_MAX_BYTES=2000)
def test_a_file_too_large_or_unreadable_is_refused_on_the_form(admin_client):
    response = upload(admin_client, country_rows(areas=1, schools=40))
    assert response.status_code == 200 and "MB" in response.content.decode()
    response = admin_client.post(
        UPLOAD, {"file": SimpleUploadedFile("list.xlsx", b"PK\x03\x04broken")}
    )
    assert response.status_code == 200
    assert not RegisterImport.objects.exists() and not AreaOffice.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["staff", "director", "area_officer", "id_approver"])
def test_nobody_but_the_ministry_admin_reaches_the_pages(
    client_as, ministry_admin, persona, request
):
    user = request.getfixturevalue(persona)
    rows = country_rows(areas=1, schools=3)
    upload(client_as(ministry_admin), rows)
    schools = School.objects.count()
    record = RegisterImport.objects.get()
    client = client_as(user)
    preview = reverse("schools:school_list_preview", args=[record.public_id])
    apply = reverse("schools:school_list_apply", args=[record.public_id])
    assert client.get(UPLOAD).status_code == 403
    assert (
        client.post(UPLOAD, {"file": SimpleUploadedFile("x.csv", to_csv(rows))}).status_code == 403
    )
    assert client.get(preview).status_code == 403
    assert client.post(apply).status_code == 403
    assert School.objects.count() == schools and RegisterImport.objects.count() == 1
    menu = client.get(reverse("home")).content.decode()
    assert UPLOAD not in menu


@pytest.mark.django_db
def test_the_menu_shows_the_school_list_to_the_ministry(admin_client):
    assert UPLOAD in admin_client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_the_preview_reads_in_the_same_queries_at_two_sizes(
    admin_client, django_assert_num_queries
):
    pages = []
    for schools in (10, 400):
        rows = [dict(r, area_code=area_code(1)) for r in country_rows(areas=1, schools=schools)]
        upload(admin_client, rows, name=f"list-{schools}.csv")
        pages.append(RegisterImport.objects.get(original_name=f"list-{schools}.csv"))
    for record in pages:
        with django_assert_num_queries(4):
            response = admin_client.get(
                reverse("schools:school_list_preview", args=[record.public_id])
            )
        assert response.status_code == 200
