"""The demo's sample school list: every kind of row, imported by the command as the README says."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from schools.models import AreaOffice, RegisterChange, School


@pytest.mark.django_db
def test_the_demo_writes_a_school_list_with_every_kind_of_row_and_it_imports():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    path = Path(settings.DEMO_SAMPLES_DIR) / "school-list-50510000.csv"
    assert str(path) in out.getvalue()
    assert AreaOffice.objects.filter(code__in=["50010000", "50510000"]).count() == 2

    dry = StringIO()
    call_command("import_schools", str(path), stdout=dry)
    text = dry.getvalue()
    assert "2 new, 1 changed, 1 closed, 1 unchanged, 3 refused" in text, text
    assert "Dry run: nothing saved" in text
    assert not School.objects.filter(code="1050510003").exists()
    # The refusals in the command's language, Thai by default.
    assert "รหัสโรงเรียนต้องเป็นตัวเลข 10 หลัก" in text and "ไม่มีเขตพื้นที่ 50990000" in text
    assert "ชั้นต่ำสุดที่เปิดสอนสูงกว่าชั้นสูงสุด" in text

    call_command("import_schools", str(path), "--apply", stdout=StringIO())
    merged = School.objects.get(code="1050510002")
    assert merged.status == School.Status.MERGED and merged.merged_into.code == "1050510001"
    assert merged.closed_on is not None
    doikham = School.objects.get(code="1050510001")
    assert (doikham.district, doikham.subdistrict, doikham.size) == (
        "เมืองเชียงใหม่",
        "สุเทพ",
        "medium",
    )
    assert School.objects.filter(code__in=["1050510003", "1050510004"]).count() == 2
    assert RegisterChange.objects.count() == 4

    again = StringIO()
    call_command("import_schools", str(path), "--apply", stdout=again)
    assert "0 new, 0 changed, 0 closed, 5 unchanged, 3 refused" in again.getvalue()
    assert "Nothing to save." in again.getvalue()
    assert RegisterChange.objects.count() == 4

    # The demo again: the merged school stays merged, the area offices keep their codes.
    call_command("seed_demo", stdout=StringIO())
    assert School.objects.get(code="1050510002").status == School.Status.MERGED
    assert AreaOffice.objects.count() == 2
