"""The demo's sample roster files: every kind of row the preview knows, through the pages' service."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.models import User
from schools.models import AreaOffice, Enrollment, IssuedGCode, RosterImport, School, Student
from schools.roster_services import roster_import_process, roster_import_queue, roster_import_start
from workflows.models import TransferProcess

SCHOOL_FILE = "roster-1050510001.csv"
AREA_FILE = "area-roster-50510000.csv"


def preview(path: Path, username: str, **owner) -> RosterImport:
    return roster_import_start(
        actor=User.objects.get(username=username),
        uploaded_file=SimpleUploadedFile(path.name, path.read_bytes()),
        **owner,
    )


def kinds(roster_import: RosterImport) -> list[tuple[int, str]]:
    return [(row["line"], row["kind"]) for row in roster_import.preview]


def reasons(roster_import: RosterImport, line: int) -> str:
    return " ".join(next(r["reasons"] for r in roster_import.preview if r["line"] == line))


@pytest.mark.django_db
def test_the_demo_writes_roster_files_with_every_kind_of_row():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    folder = Path(settings.DEMO_SAMPLES_DIR)
    path, area_path = folder / SCHOOL_FILE, folder / AREA_FILE
    assert str(path) in out.getvalue() and str(area_path) in out.getvalue()
    assert path.read_bytes().startswith("\ufeffรหัสโรงเรียน,".encode())

    school = School.objects.get(code="1050510001")
    roster_import = preview(path, "staff.doikham", school=school)
    assert roster_import.status == RosterImport.Status.PREVIEWED
    assert kinds(roster_import) == [
        (2, "new"), (3, "new"), (4, "unchanged"), (5, "changes"), (6, "changes"),
        (7, "elsewhere"), (8, "refused"), (9, "refused"), (10, "refused"), (11, "refused"),
        (12, "refused"),
    ]  # fmt: skip
    rows = {row["line"]: row for row in roster_import.preview}
    assert rows[3]["id"].startswith("G")  # the new learner by G-code
    assert rows[5]["changes"] == [["room", 1, 2]]
    assert [name for name, _old, _new in rows[6]["changes"]] == ["last_name_th"]
    assert rows[7]["holder"] == "โรงเรียนบ้านแม่ริม (1050130001)"
    assert reasons(roster_import, 8) == "เลขประจำตัวประชาชนไม่ถูกต้อง (หลักตรวจสอบไม่ตรง)"
    assert reasons(roster_import, 9) == "โรงเรียนนี้สอนชั้น ม.1–ม.6 ไม่มีชั้น ป.5"
    assert reasons(roster_import, 10) == "ผู้เรียนคนเดียวกันอีกครั้งที่บรรทัด 11"
    assert reasons(roster_import, 11) == "ผู้เรียนคนเดียวกับบรรทัด 10"
    assert reasons(roster_import, 12).startswith("วันเกิด: ")

    area = AreaOffice.objects.get(code="50510000")
    area_import = preview(area_path, "area.cmsec", area_office=area)
    assert kinds(area_import) == [(2, "new"), (3, "unchanged"), (4, "refused"), (5, "refused")]

    # The file applies: every accepted row, and a transfer request to Ban Mae Rim.
    roster_import_queue(
        roster_import=roster_import, actor=User.objects.get(username="staff.doikham")
    )
    done = roster_import_process(roster_import=roster_import)
    assert done.status == RosterImport.Status.DONE, done.errors
    assert (done.outcome["added"], done.outcome["changed"], done.outcome["transfers"]) == (2, 2, 1)
    assert TransferProcess.objects.filter(school=school, decision="").count() == 1
    assert Student.objects.get(gcode="G510001900001").enrollments.get().school == school

    # The demo again: the same files, nothing new recorded, the applied rows left as they are.
    files = (path.read_bytes(), area_path.read_bytes())
    counts = (Student.objects.count(), Enrollment.objects.count(), IssuedGCode.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (path.read_bytes(), area_path.read_bytes()) == files
    assert (
        Student.objects.count(),
        Enrollment.objects.count(),
        IssuedGCode.objects.count(),
    ) == counts
