"""The count day in a browser: staff fix their data and confirm, the director certifies, the
signed record verifies, the area office watches and approves, the ID approver decides by e-mail.

The demo's count round is open all day today (census.services.demo_round_create), so the server
runs on the real clock. Every page is photographed; the guides in docs/ show those pictures.
"""

import re
import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from census.models import SchoolRound
from documents.models import SignedDocument

pytestmark = pytest.mark.e2e

SCHOOL = "1050130002"  # โรงเรียนวัดป่าแดด: the demo school with data checks to fix
AREA = "50010000"
SLOW = 30_000  # ms: a signed PDF or a Celery task on a busy 2-core machine


def thai(label) -> str:
    with translation.override("th"):
        return str(label)


def no_browser_errors(page):
    """Fail on a script error or a refused resource (a CSP violation is a console error)."""
    assert page.errors == [], page.errors


def test_count_day_from_data_checks_to_approvals(demo, sign_in, screens, celery_worker, settings):
    settings.MEASUREMENT_UPLOAD_ASYNC_ROWS = 2  # the demo's 3-row file goes through Celery

    # --- school staff: fix the data checks ---------------------------------------------------
    page = sign_in("staff.padaet", screens=screens, shot="login")
    # What waits: on the home page, and as a count beside "My tasks" (fetched after the page).
    expect(page.locator("#waiting form")).to_have_count(1)
    expect(page.locator("#dmc-waiting-count.dmc-count")).to_contain_text("1")
    screens(page, "staff-home")
    page.get_by_role("link", name="โรงเรียนวัดป่าแดด").first.click()
    expect(page).to_have_url(re.compile(rf"/schools/{SCHOOL}/$"))
    screens(page, "staff-roster")

    page.goto(f"{demo}/schools/{SCHOOL}/validation/")
    errors = page.locator("#finding-counts .dmc-sev-error")
    expect(errors).to_have_count(1)
    screens(page, "staff-validation")

    # One missing weight/height fixed by hand from the data-checks page …
    page.locator("#rule-no_measurement + .dmc-scroll a.dmc-btn").first.click()
    expect(page.locator("form.dmc-form")).to_be_visible()
    page.fill("#id_weight_kg", "17.5")
    page.fill("#id_height_cm", "104")
    screens(page, "staff-measurement-form")
    page.locator("form.dmc-form button[type=submit]").click()
    expect(page.locator(".dmc-messages li.success")).to_be_visible()
    page.goto(f"{demo}/schools/{SCHOOL}/validation/")
    expect(page.locator("#rule-no_measurement .dmc-badge")).to_have_text("2")

    # … and every query explained.
    explain = page.locator("form:has(input[name=text])")
    for i in range(explain.count()):
        form = page.locator("form:has(input[name=text])").nth(i)
        form.locator("input[name=text]").fill("ตรวจสอบกับครูประจำชั้นแล้ว ข้อมูลถูกต้อง")
        form.locator("button[type=submit]").click()
        expect(
            page.locator("form:has(input[name=text])").nth(i).locator("input[name=text]")
        ).to_have_value("ตรวจสอบกับครูประจำชั้นแล้ว ข้อมูลถูกต้อง")
    screens(page, "staff-validation-explained")

    # --- the weight/height file: queued for Celery, the progress bar follows it ----------------
    page.goto(f"{demo}/schools/{SCHOOL}/measurements/upload/")
    sample = Path(settings.DEMO_SAMPLES_DIR) / f"weight-height-{SCHOOL}.csv"
    page.set_input_files("input[type=file]", sample)
    screens(page, "staff-upload")
    page.locator("form.dmc-form button[type=submit]").click()
    progress = page.locator("#upload-progress [role=progressbar]")
    expect(progress).to_have_attribute("aria-valuenow", "0")
    screens(page, "staff-upload-queued")
    celery_worker()  # the queued task runs now; htmx polls the bar to 100 %
    expect(progress).to_have_attribute("aria-valuenow", "100", timeout=SLOW)
    expect(page.locator("#upload-errors")).to_have_count(0)
    screens(page, "staff-upload-done")

    page.goto(f"{demo}/schools/{SCHOOL}/validation/")
    expect(page.locator("#finding-counts .dmc-sev-error")).to_have_count(0)

    # --- confirm inside the window ---------------------------------------------------------------
    page.goto(f"{demo}/workflows/")
    task_row = page.locator("#inbox tbody tr", has_text="โรงเรียนวัดป่าแดด").first
    screens(page, "staff-inbox")
    task_row.locator("button[type=submit]").click()
    screens(page, "staff-prepare")
    page.locator("form.dmc-card button[type=submit]").click()
    expect(page.locator("#step-errors")).to_have_count(0)
    # Prepare goes straight on to the confirm step.
    expect(page.locator("h1")).not_to_have_text(re.compile("เตรียม"))
    screens(page, "staff-confirm")
    page.locator("form.dmc-card button[type=submit]").click()
    expect(page.locator(".dmc-messages li").first).to_be_visible(timeout=SLOW)
    screens(page, "staff-confirmed")
    no_browser_errors(page)
    school_round = SchoolRound.objects.get(school__code=SCHOOL, round__is_demo=True)
    assert school_round.state == SchoolRound.State.CONFIRMED

    # --- the director certifies --------------------------------------------------------------------
    page = sign_in("director.padaet")
    page.goto(f"{demo}/workflows/")
    screens(page, "director-inbox")
    page.locator("#inbox tbody tr", has_text="โรงเรียนวัดป่าแดด").first.locator(
        "button[type=submit]"
    ).click()
    certify = page.locator("button[name=decision][value=certify]")
    expect(certify).to_be_visible()
    expect(certify).to_contain_text("รับรองข้อมูลนักเรียน")
    screens(page, "director-certify")
    # The browser asks the director to tick that the counts were checked: nothing is sent before.
    certify.click()
    expect(page.locator("#attest:invalid")).to_have_count(1)
    school_round.refresh_from_db()
    assert school_round.state == SchoolRound.State.CONFIRMED
    page.locator("#attest").check()
    certify.click()
    expect(page.locator(".dmc-messages li").first).to_be_visible(timeout=SLOW)
    screens(page, "director-certified")
    school_round.refresh_from_db()
    assert school_round.state == SchoolRound.State.CERTIFIED

    # --- the signed record downloads, and the address under its QR code says valid --------------
    record = SignedDocument.objects.filter(
        school__code=SCHOOL, kind="certification", parent__isnull=True
    ).latest("created_at")
    # The worker signs it a moment after the certification's commit: until then the list shows it
    # pending, without a download link, and the director looks again.
    link = page.locator(f"a[href*='{record.public_id}/download']")
    for _ in range(60):
        page.goto(f"{demo}/schools/{SCHOOL}/documents/")
        if link.count():
            break
        page.wait_for_timeout(500)
    screens(page, "director-documents")
    with page.expect_download() as download:
        link.first.click()
    pdf = screens.folder / "record.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(  # noqa: S603 - a fixed tool on a file this test downloaded
        ["/usr/bin/pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"(http://\S+/verify/[0-9a-f-]{36}/)", re.sub(r"\s+", "", text))
    assert found, text
    verify_url = found.group(1)
    assert str(record.public_id) in verify_url
    pdf_page_png(pdf, screens.folder / "record")
    screens.keep(screens.folder / "record.png", "director-record")
    page.goto(verify_url)
    expect(page.locator("#verdict")).to_contain_text("ถูกต้อง")
    screens(page, "verify-valid")
    no_browser_errors(page)

    # --- the area officer sees the school certified and approves a dropout ------------------------
    page = sign_in("area.cm1")
    screens(page, "area-home")
    # The dashboard opens on the newest round by as-of date (next April's here): pick today's.
    page.goto(f"{demo}/census/areas/{AREA}/dashboard/?round={school_round.round_id}")
    row = page.locator("#area-schools tbody tr", has_text="โรงเรียนวัดป่าแดด")
    expect(row.locator(".dmc-badge")).to_have_text(thai(SchoolRound.State.CERTIFIED.label))
    screens(page, "area-dashboard")
    page.goto(f"{demo}/workflows/")
    screens(page, "area-inbox")
    dropout = page.locator("#inbox tbody tr", has_text=thai_dropout_title()).first
    dropout.locator("button[type=submit]").click()
    page.locator("input[name=decision][value=approved]").check()
    screens(page, "area-dropout-decision")
    page.locator("form.dmc-form button[type=submit]").click()
    expect(page.locator(".dmc-messages li").first).to_be_visible(timeout=SLOW)
    screens(page, "area-dropout-approved")
    no_browser_errors(page)

    # --- the ID approver opens the e-mailed link and approves -------------------------------------
    link = next(
        m.group(0)
        for message in mail.outbox
        if (m := re.search(r"http://\S+/workflows/id-link/\S+/", message.body))
    )
    page = sign_in("approver")
    page.goto(link)
    page.locator("input[name=decision][value=approved]").check()
    screens(page, "approver-decision")
    page.locator("form.dmc-form button[type=submit]").click()
    expect(page.locator(".dmc-messages li").first).to_be_visible(timeout=SLOW)
    screens(page, "approver-approved")
    no_browser_errors(page)
    response = page.goto(link)  # single use: the link refuses a second decision
    assert response.status == 403
    expect(page.locator("form.dmc-form")).to_have_count(0)
    screens(page, "approver-link-used")


def thai_dropout_title() -> str:
    from workflows.approvals import DropoutFlow

    return thai(DropoutFlow.approve.task_title)


def pdf_page_png(pdf: Path, stem: Path) -> None:
    """Keep the record's first page as a picture beside the screenshots."""
    subprocess.run(  # noqa: S603
        [
            "/usr/bin/pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
    )
