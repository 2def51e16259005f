"""People and roles in a browser: an area officer invites a school's new staff member, who sets a
password from the e-mailed link and lands signed in; the officer sees the person and the history
of changes, then ends the role. The same person forgets the password, sets a new one from the
reset e-mail, changes the language of the pages and logs out everywhere else.

The e-mails are read from Django's test outbox (the live server runs in this process). Every page
is photographed at desktop size, the person's pages on a phone too; the guides show them.
"""

import re

import pytest
from django.core import mail
from django.utils import translation
from playwright.sync_api import expect

from accounts.models import Invitation, Role, RoleChange, User

from .accessibility import PHONE
from .conftest import VIEWPORT

pytestmark = pytest.mark.e2e

AREA = "50010000"
SCHOOL = "1050130006"  # โรงเรียนบ้านสันป่ายาง
SCHOOL_NAME = "โรงเรียนบ้านสันป่ายาง"
EMAIL = "wanna.kru@example.org"
PASSWORD = "ป่ายาง-ดอกไม้-2569"
NEW_PASSWORD = "สันป่ายาง-ภูเขา-2570"


def thai(label) -> str:
    """Return a label (lazy or a msgid) as the Thai pages show it."""
    with translation.override("th"):
        return translation.gettext(str(label))


def link_in_mail(pattern: str, to: str) -> str:
    """Return the last link matching the pattern e-mailed to the address."""
    links = [
        m.group(0)
        for message in mail.outbox
        if to in message.to and (m := re.search(pattern, message.body))
    ]
    assert links, [(m.to, m.subject) for m in mail.outbox]
    return links[-1]


def fresh_page(browser, viewport=VIEWPORT):
    """Open a page in a browser context of its own: no cookie, no session."""
    context = browser.new_context(viewport=viewport, locale="th-TH")
    page = context.new_page()
    page.errors = []  # noqa: B010 - what the browser console reports, checked below
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form.dmc-login button[type=submit]")
    expect(page).to_have_url(f"{base}/")


def test_an_invitation_accepted_then_the_role_ended(browser, demo, sign_in, screens, tmp_path):
    contexts = []

    def page_for(viewport=VIEWPORT):
        page = fresh_page(browser, viewport)
        contexts.append(page.context)
        return page

    # --- the area officer opens the school's people and invites a data officer -------------------
    officer = sign_in("area.cm1")
    officer.locator("vf-page-menu-navigation a[href='/people/']").click()
    officer.locator(f"#areas a[href$='/people/areas/{AREA}/']").click()
    row = officer.locator(f"#school-{SCHOOL}")
    expect(row).to_contain_text(SCHOOL_NAME)
    screens(officer, "area-people")
    row.locator("a[href*='role=staff']").click()
    expect(officer.locator("#id_role")).to_have_value("staff")
    expect(officer.locator("#id_school_code")).to_have_value(SCHOOL)
    officer.fill("#id_title", "นางสาว")
    officer.fill("#id_first_name", "วรรณา")
    officer.fill("#id_last_name", "ใจดี")
    officer.fill("#id_email", EMAIL)
    screens(officer, "area-invite")
    officer.locator("form.dmc-form button[type=submit]").click()
    expect(officer.locator(".dmc-messages li.success")).to_contain_text(EMAIL)
    expect(officer.locator(f"#school-{SCHOOL}")).to_contain_text("นางสาววรรณา ใจดี")
    officer.locator(f"#school-{SCHOOL}").scroll_into_view_if_needed()
    screens(officer, "area-invited")

    # --- many people at once: the file is checked first (a dry run), nothing is sent ----------
    officer.goto(f"{demo}/people/invite/bulk/")
    sheet = tmp_path / "invitations.csv"
    sheet.write_text(
        "รหัสโรงเรียน,บทบาท,ชื่อ,อีเมล\n"
        "1050130007,เจ้าหน้าที่,สมศักดิ์ ดีงาม,somsak@example.org\n"
        "1099999999,ผู้อำนวยการ,สมหญิง รักเรียน,somying@example.org\n",
        encoding="utf-8",
    )
    officer.set_input_files("input[type=file]", sheet)
    officer.locator("button[name=dry_run]").click()
    expect(officer.locator("#problems")).to_contain_text("1099999999")
    expect(officer.locator("#outcomes")).to_contain_text("somsak@example.org")
    screens(officer, "area-invite-bulk", full_page=True)
    assert not Invitation.objects.filter(email__in=["somsak@example.org", "somying@example.org"])

    # --- the e-mailed link, opened where nobody is signed in: choose a password ----------------
    link = link_in_mail(r"http://\S+/accounts/invitation/\S+/", EMAIL)
    phone = page_for(PHONE)
    phone.goto(link)
    expect(phone.locator("#offer")).to_contain_text(SCHOOL_NAME)
    screens(phone, "phone-invitation-accept")
    person = page_for()
    person.goto(link)
    person.fill("#id_new_password1", PASSWORD)
    person.fill("#id_new_password2", PASSWORD)
    screens(person, "invitation-accept")
    person.locator("form.dmc-login button[type=submit]").click()
    expect(person).to_have_url(f"{demo}/")
    expect(person.locator(".dmc-messages li.success")).to_contain_text(thai(Role.STAFF.label))
    expect(person.get_by_role("link", name=SCHOOL_NAME).first).to_be_visible()
    screens(person, "invitation-accepted")
    account = User.objects.get(email=EMAIL)
    assert account.memberships.get().role == "staff"
    assert phone.errors == [] and person.errors == [], phone.errors + person.errors
    # The link worked once: opened again, it says so.
    assert phone.goto(link).status == 410
    expect(phone.locator("#refused")).to_be_visible()

    # --- the officer sees the person at the school, and what happened, on the person's page -----
    officer.goto(f"{demo}/people/areas/{AREA}/")
    staff_cell = officer.locator(f"#school-{SCHOOL} td").nth(3)
    staff_cell.get_by_role("link", name="นางสาววรรณา ใจดี").click()
    history = officer.locator("#history")
    for action in (RoleChange.Action.INVITED, RoleChange.Action.INVITATION_ACCEPTED):
        expect(history).to_contain_text(thai(action.label))
    screens(officer, "area-person")

    # --- the same person forgets the password: a reset link, a new password, signed in again ----
    forgot = page_for()
    forgot.goto(f"{demo}/accounts/login/")
    forgot.locator("#forgot-password").click()
    forgot.fill("#id_email", EMAIL)
    screens(forgot, "password-reset")
    forgot.locator("form.dmc-login button[type=submit]").click()
    expect(forgot.locator("#reset-sent")).to_be_visible()
    screens(forgot, "password-reset-sent", guide=False)
    forgot.goto(link_in_mail(r"http://\S+/accounts/password/reset/\S+/", EMAIL))
    forgot.fill("#id_new_password1", NEW_PASSWORD)
    forgot.fill("#id_new_password2", NEW_PASSWORD)
    screens(forgot, "password-reset-new")
    forgot.locator("form.dmc-login button[type=submit]").click()
    expect(forgot.locator("#reset-complete")).to_be_visible()
    log_in(forgot, demo, EMAIL, NEW_PASSWORD)
    # The session opened with the old password has ended.
    person.goto(f"{demo}/")
    expect(person).to_have_url(re.compile(r"/accounts/login/"))
    assert forgot.errors == [], forgot.errors

    # --- the profile: the language of the pages, and logging out everywhere else --------------
    other = page_for(PHONE)
    log_in(other, demo, EMAIL, NEW_PASSWORD)
    other.goto(f"{demo}/accounts/profile/")
    screens(other, "phone-profile")
    forgot.locator("vf-page-menu-navigation a[href='/accounts/profile/']").click()
    expect(forgot.locator("#profile-roles")).to_contain_text(SCHOOL_NAME)
    screens(forgot, "profile", full_page=True)
    forgot.select_option("#id_language", "en")
    forgot.locator("#profile-form button[type=submit]").click()
    expect(forgot.locator("h1")).to_have_text("My account")
    forgot.select_option("#id_language", "th")
    forgot.locator("#profile-form button[type=submit]").click()
    expect(forgot.locator("h1")).to_have_text(thai("My account"))
    forgot.locator("#sessions-end button[type=submit]").click()
    expect(forgot.locator(".dmc-messages li.success")).to_be_visible()
    screens(forgot, "profile-sessions-ended")
    other.goto(f"{demo}/")
    expect(other).to_have_url(re.compile(r"/accounts/login/"))
    forgot.goto(f"{demo}/")  # this device stays signed in
    expect(forgot.get_by_role("link", name=SCHOOL_NAME).first).to_be_visible()

    # --- the officer ends the role today: the person is signed out at once, the school gone -----
    officer.locator("#roles a.dmc-btn").first.click()
    screens(officer, "area-end-role")
    officer.locator("form.dmc-form button[type=submit]").click()
    expect(officer.locator(".dmc-messages li.success")).to_be_visible()
    expect(officer.locator("#history")).to_contain_text(thai(RoleChange.Action.ENDED.label))
    screens(officer, "area-role-ended")
    forgot.goto(f"{demo}/schools/{SCHOOL}/")  # ending the role ended the person's sessions
    expect(forgot).to_have_url(re.compile(r"/accounts/login/"))
    expect(forgot.get_by_role("link", name=SCHOOL_NAME)).to_have_count(0)
    assert officer.errors == [] and forgot.errors == [], officer.errors + forgot.errors

    # --- the ministry keeps the area offices' officers and the ID approvers the same way ---------
    ministry = sign_in("admin")
    ministry.locator("vf-page-menu-navigation a[href='/people/']").click()
    expect(ministry.locator("#areas")).to_contain_text("เจ้าหน้าที่ สพป.เชียงใหม่ 1")
    screens(ministry, "ministry-people")
    assert ministry.errors == [], ministry.errors

    for context in contexts:
        context.close()
