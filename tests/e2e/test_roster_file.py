"""Moving in, in a browser: a school loads its whole roster from a file (template, preview by kind,
apply, the learners on the roster), an area office checks a file of its schools, and the ministry
dry-runs then applies its school list. The files are the demo's samples in var/samples/.

Celery runs eagerly here (the test settings): applying a file finishes within the request, and the
page shows the finished progress bar. The guides in docs/ show these pictures.
"""

import io
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation
from playwright.sync_api import expect

from schools.models import RosterImport, School, Student
from schools.roster_import import Kind
from workflows.models import TransferProcess

from .accessibility import PHONE

pytestmark = pytest.mark.e2e

SCHOOL = "1050510001"  # โรงเรียนดอยคำวิทยา (demo.roster_file)
AREA = "50510000"


def thai(label) -> str:
    with translation.override("th"):
        return str(label)


def no_browser_errors(page):
    assert page.errors == [], page.errors


def tab(page, kind):
    return page.locator("#roster-kinds a", has_text=thai(kind.label))


def test_a_school_loads_its_roster_from_a_file(demo, sign_in, screens, settings):
    samples = Path(settings.DEMO_SAMPLES_DIR)
    page = sign_in("staff.doikham")
    page.goto(f"{demo}/schools/{SCHOOL}/")
    page.locator(f"a[href='/schools/{SCHOOL}/roster-file/']").click()
    expect(page.locator("form.dmc-form input[type=file]")).to_be_visible()

    # The template: the columns, and a sheet naming the school and the grades it teaches.
    with page.expect_download() as download:
        page.locator("a[href$='roster-file/template.xlsx']").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    learners, schools = book.worksheets
    assert learners["B1"].value == "เลขประจำตัวประชาชนหรือรหัส G"
    assert [c.value for c in schools[2]] == [SCHOOL, "โรงเรียนดอยคำวิทยา", "ม.1–ม.6"]

    page.set_input_files("input[type=file]", samples / f"roster-{SCHOOL}.csv")
    screens(page, "staff-roster-file")
    page.locator("form.dmc-form button[type=submit]").click()

    # The preview: each kind of row in its tab, with its count; nothing saved yet.
    expect(page.locator("#roster-apply")).to_be_visible()
    for kind, count in ((Kind.NEW, 2), (Kind.UNCHANGED, 1), (Kind.CHANGES, 2),
                        (Kind.ELSEWHERE, 1), (Kind.REFUSED, 5)):  # fmt: skip
        expect(tab(page, kind)).to_contain_text(f"({count})")
    expect(page.locator("#roster-rows tbody tr")).to_have_count(2)
    screens(page, "staff-roster-preview")
    tab(page, Kind.CHANGES).click()
    expect(page.locator("#roster-rows")).to_contain_text("ห้อง: 1 → 2")
    screens(page, "staff-roster-preview-changes")
    tab(page, Kind.ELSEWHERE).click()
    expect(page.locator("#roster-rows")).to_contain_text("โรงเรียนบ้านแม่ริม")
    tab(page, Kind.REFUSED).click()
    expect(page.locator("#roster-rows tbody tr")).to_have_count(5)
    expect(page.locator("#roster-rows")).to_contain_text("หลักตรวจสอบไม่ตรง")
    screens(page, "staff-roster-preview-refused", full_page=True)
    assert not Student.objects.filter(gcode="G510001900001").exists()
    preview_url = page.url.split("?")[0]

    # The same pages on a phone.
    desktop, page = page, sign_in("staff.doikham", viewport=PHONE)
    page.goto(f"{demo}/schools/{SCHOOL}/roster-file/")
    screens(page, "phone-staff-roster-file")
    page.goto(preview_url)
    expect(page.locator("#roster-apply")).to_be_visible()
    screens(page, "phone-staff-roster-preview")
    no_browser_errors(page)
    page = desktop

    # Apply: the accepted rows are saved together, the bar is full, the outcome is told.
    page.locator("#roster-apply button[type=submit]").click()
    progress = page.locator("#upload-progress [role=progressbar]")
    expect(progress).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#upload-progress")).to_contain_text("1")
    expect(page.locator("#upload-errors")).to_have_count(0)
    screens(page, "staff-roster-applied")
    roster_import = RosterImport.objects.get(school__code=SCHOOL)
    assert roster_import.status == RosterImport.Status.DONE
    assert roster_import.outcome["enrolled"] == 2 and roster_import.outcome["transfers"] == 1
    assert TransferProcess.objects.filter(school__code=SCHOOL, decision="").count() == 1

    # The new learners are on the roster.
    page.locator("#upload-next a[href$='/schools/1050510001/']").click()
    expect(page.locator("main")).to_contain_text("ภูมิใจ")
    expect(page.locator("main")).to_contain_text("นาคำ")
    screens(page, "staff-roster-after-file")
    no_browser_errors(page)

    # --- an area office: one file for several of its schools, by school code --------------------
    page = sign_in("area.cmsec")
    page.locator(f"a[href='/schools/area/{AREA}/roster-file/']").click()
    page.set_input_files("input[type=file]", samples / f"area-roster-{AREA}.csv")
    screens(page, "area-roster-file")
    page.locator("form.dmc-form button[type=submit]").click()
    expect(tab(page, Kind.REFUSED)).to_contain_text("(2)")
    tab(page, Kind.REFUSED).click()
    expect(page.locator("#roster-rows")).to_contain_text("1050130001")
    screens(page, "area-roster-preview")
    no_browser_errors(page)


def test_the_ministry_dry_runs_then_applies_its_school_list(demo, sign_in, screens, settings):
    sample = Path(settings.DEMO_SAMPLES_DIR) / f"school-list-{AREA}.csv"
    page = sign_in("admin")
    page.locator("vf-page-menu-navigation a[href='/schools/register/']").click()
    page.set_input_files("input[type=file]", sample)
    screens(page, "ministry-school-list")
    page.locator("form.dmc-form button[type=submit]").click()

    # The dry run: what is new, changed, closed, and every refused row with its reason.
    apply = page.locator("form[action$='/apply/'] button[type=submit]")
    expect(apply).to_be_visible()
    expect(page.locator("main")).to_contain_text("ต้องเป็นตัวเลข 10 หลัก")
    screens(page, "ministry-school-list-preview", full_page=True)
    assert not School.objects.filter(code="1050510003").exists()

    desktop, page = page, sign_in("admin", viewport=PHONE)
    page.goto(desktop.url)
    expect(page.locator("form[action$='/apply/']")).to_be_visible()
    screens(page, "phone-ministry-school-list-preview")
    no_browser_errors(page)
    page = desktop

    apply.click()
    expect(page.locator(".dmc-messages li.success")).to_be_visible()
    expect(page.locator("form[action$='/apply/']")).to_have_count(0)
    screens(page, "ministry-school-list-applied")
    merged = School.objects.get(code="1050510002")
    assert merged.status == School.Status.MERGED and merged.merged_into.code == SCHOOL
    assert School.objects.filter(code__in=["1050510003", "1050510004"]).count() == 2
    no_browser_errors(page)
