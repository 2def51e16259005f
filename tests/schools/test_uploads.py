"""Weight and height files: all or nothing, each bad row reported, TIS-620, xlsx, Celery for big files."""

import io
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.urls import reverse

from schools import services
from schools.models import Grade, Measurement, MeasurementUpload

from ..factories import EnrollmentFactory


@pytest.fixture
def room(school):
    return [EnrollmentFactory(school=school, grade=Grade.P3, room=1) for _ in range(3)]


def csv_bytes(rows, header="เลขประจำตัวประชาชน,น้ำหนัก (กก.),ส่วนสูง (ซม.),วันที่ชั่งวัด", encoding="utf-8"):
    text = header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n"
    return text.encode(encoding)


def upload(client, school, data, name="wh.csv"):
    return client.post(
        reverse("schools:upload", args=[school.code]), {"file": SimpleUploadedFile(name, data)}
    )


def good_rows(room):
    return [(e.student.citizen_id, "25.5", "128", "1/6/2569") for e in room]


def test_valid_csv_saves_every_row(client_as, staff, school, room):
    response = upload(client_as(staff), school, csv_bytes(good_rows(room)))
    assert response.status_code == 302
    result = MeasurementUpload.objects.get()
    assert result.status == MeasurementUpload.Status.DONE and result.created_count == 3
    m = Measurement.objects.get(student=room[0].student)
    assert m.measured_on == date(2026, 6, 1) and str(m.weight_kg) == "25.5"
    page = client_as(staff).get(response["Location"]).content.decode()
    assert "3" in page
    # The next step is offered: the data checks before the count day, and the roster.
    assert "ต่อไป: ตรวจสอบข้อมูลของโรงเรียนก่อนวันนับ" in page
    assert reverse("schools:validation", args=[school.code]) in page


def test_a_small_file_whose_save_breaks_leaves_no_upload_stuck_running(
    staff, school, room, monkeypatch
):
    def lost(**kwargs):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(services, "measurements_record", lost)
    with pytest.raises(OperationalError):
        services.measurement_upload_start(
            school=school, actor=staff,
            uploaded_file=SimpleUploadedFile("wh.csv", csv_bytes(good_rows(room))),
        )  # fmt: skip
    # One transaction in the service: the upload is not left running with nothing to finish it.
    assert not MeasurementUpload.objects.exists()
    assert not Measurement.objects.exists()


def test_the_same_file_twice_changes_nothing(client_as, staff, school, room):
    client = client_as(staff)
    data = csv_bytes(good_rows(room))
    upload(client, school, data)
    before = list(Measurement.objects.values_list("pk", "weight_kg", "height_cm", "measured_on"))
    upload(client, school, data)
    assert (
        list(Measurement.objects.values_list("pk", "weight_kg", "height_cm", "measured_on"))
        == before
    )
    second = MeasurementUpload.objects.order_by("-pk").first()
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 3)


def test_bad_rows_save_nothing_and_each_is_reported(client_as, staff, school, room, other_school):
    stranger = EnrollmentFactory(school=other_school)
    rows = [
        (room[0].student.citizen_id, "25", "128", "1/6/2569"),  # line 2: good
        ("1101700203451", "25", "128", "1/6/2569"),  # line 3: check digit
        (room[1].student.citizen_id, "abc", "128", "1/6/2569"),  # line 4: weight not a number
        (room[2].student.citizen_id, "25", "999", "1/6/2569"),  # line 5: height out of range
        (stranger.student.citizen_id, "25", "128", "1/6/2569"),  # line 6: not at this school
        (room[2].student.citizen_id, "25", "128", "31/2/2569"),  # line 7: no such date
    ]
    response = upload(client_as(staff), school, csv_bytes(rows))
    assert response.status_code == 302
    result = MeasurementUpload.objects.get()
    assert result.status == MeasurementUpload.Status.REJECTED
    assert [e["line"] for e in result.errors] == [3, 4, 5, 6, 7]
    assert not Measurement.objects.exists()
    body = client_as(staff).get(response["Location"]).content.decode()
    assert "หลักตรวจสอบไม่ตรง" in body and "ไม่มีการบันทึก" in body  # Thai first: "nothing was saved"
    assert "อัปโหลดไฟล์ที่แก้ไขแล้ว" in body  # the next step: upload the corrected file


def test_tis620_file(client_as, staff, school, room):
    data = csv_bytes(good_rows(room), encoding="cp874")
    data.decode("cp874")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    upload(client_as(staff), school, data)
    assert Measurement.objects.count() == 3


def test_xlsx_file_with_iso_and_excel_dates(client_as, staff, school, room):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["เลขประจำตัว", "ชื่อ", "น้ำหนัก (กก.)", "ส่วนสูง (ซม.)", "วันที่ชั่งวัด"])
    sheet.append([room[0].student.citizen_id, "x", 25.5, 128, "2026-06-01"])
    sheet.append([room[1].student.citizen_id, "y", 30, 130, date(2026, 6, 2)])
    sheet.append([int(room[2].student.citizen_id), "z", "31", "135", "3/6/2569"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload(client_as(staff), school, buffer.getvalue(), name="wh.xlsx")
    result = MeasurementUpload.objects.get()
    assert result.status == MeasurementUpload.Status.DONE, result.errors
    assert sorted(Measurement.objects.values_list("measured_on", flat=True)) == [
        date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3),
    ]  # fmt: skip


def test_template_download_lists_the_roster(client_as, staff, school, room):
    response = client_as(staff).get(reverse("schools:upload_template", args=[school.code]))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    ids = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert ids == {e.student.citizen_id for e in room}


def test_filled_template_uploads(client_as, staff, school, room):
    client = client_as(staff)
    template = client.get(reverse("schools:upload_template", args=[school.code])).content
    workbook = openpyxl.load_workbook(io.BytesIO(template))
    sheet = workbook.active
    for row in sheet.iter_rows(min_row=2):
        row[4].value, row[5].value, row[6].value = 26, 127.5, "10/6/2569"
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload(client, school, buffer.getvalue(), name="filled.xlsx")
    assert Measurement.objects.count() == 3


@pytest.mark.parametrize(
    "data,name",
    [
        (b"", "empty.csv"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 4, "evil.csv"),
        (b"a,b,c\n1,2,3\n", "noheader.csv"),
        (b"not a zip at all", "fake.xlsx"),
        (b"PK\x03\x04garbage", "broken.xlsx"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(client_as, staff, school, room, data, name):
    response = upload(client_as(staff), school, data, name=name)
    if response.status_code == 200:  # refused on the form (empty file)
        assert response.context["form"].errors
    else:
        result = MeasurementUpload.objects.get()
        assert result.status == MeasurementUpload.Status.REJECTED
        assert result.errors and result.errors[0]["message"]
    assert not Measurement.objects.exists()


def test_big_file_runs_in_celery_with_progress(
    client_as, staff, school, settings, django_capture_on_commit_callbacks
):
    settings.MEASUREMENT_UPLOAD_ASYNC_ROWS = 50
    room = [EnrollmentFactory(school=school) for _ in range(60)]
    data = csv_bytes([(e.student.citizen_id, "25", "128", "2026-06-01") for e in room])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(client_as(staff), school, data)
    queued = MeasurementUpload.objects.get()
    assert queued.status == MeasurementUpload.Status.QUEUED and queued.total_rows == 60
    assert not Measurement.objects.exists()
    progress = client_as(staff).get(response["Location"], headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in progress.content.decode()
    assert len(callbacks) == 1
    callbacks[0]()  # the Celery task, eager
    done = MeasurementUpload.objects.get()
    assert done.status == MeasurementUpload.Status.DONE and done.percent == 100
    assert Measurement.objects.count() == 60
    final = (
        client_as(staff).get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    )
    assert "hx-trigger" not in final


def test_five_thousand_rows_go_through_celery(
    client_as, staff, school, django_capture_on_commit_callbacks
):
    from schools.models import Enrollment, Student

    from ..factories import make_citizen_id

    students = Student.objects.bulk_create(
        Student(citizen_id=make_citizen_id(), title="ด.ช.", first_name_th="ก", last_name_th="ข",
                sex="M", birth_date=date(2015, 1, 1))
        for _ in range(5000)
    )  # fmt: skip
    Enrollment.objects.bulk_create(
        Enrollment(
            student=s, school=school, grade=Grade.P5, room=1 + i % 20, started_on=date(2026, 5, 16)
        )
        for i, s in enumerate(students)
    )
    data = csv_bytes([(s.citizen_id, "35.5", "140", "1/6/2569") for s in students])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        upload(client_as(staff), school, data)
    assert len(callbacks) == 1
    assert MeasurementUpload.objects.get().status == MeasurementUpload.Status.DONE
    assert Measurement.objects.count() == 5000


def test_upload_task_retry_after_success_does_nothing(client_as, staff, school, room):
    from schools.tasks import process_measurement_upload

    upload(client_as(staff), school, csv_bytes(good_rows(room)))
    result = MeasurementUpload.objects.get()
    assert process_measurement_upload.delay(result.pk).get() == MeasurementUpload.Status.DONE
    assert Measurement.objects.count() == 3


@pytest.mark.parametrize("persona", ["director", "area_officer"])
def test_readers_may_not_upload(client_as, request, school, room, persona):
    user = request.getfixturevalue(persona)
    assert upload(client_as(user), school, csv_bytes(good_rows(room))).status_code == 403
    assert not MeasurementUpload.objects.exists()


def test_other_school_cannot_see_an_upload(client_as, staff, other_school_staff, school, room):
    response = upload(client_as(staff), school, csv_bytes(good_rows(room)))
    assert client_as(other_school_staff).get(response["Location"]).status_code == 404
