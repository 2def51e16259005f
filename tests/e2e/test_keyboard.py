"""The count day with the keyboard alone: staff prepare and confirm, the director ticks the
attestation and certifies, with Tab, Shift+Tab, Enter and Space only (no pointer, no script
clicks), and every control the focus lands on shows where it is."""

import re

import pytest
from playwright.sync_api import expect

from census.models import SchoolRound

from .accessibility import DESKTOP, axe_violations
from .conftest import PASSWORD

pytestmark = pytest.mark.e2e

SCHOOL = "1050130001"  # โรงเรียนบ้านแม่ริม: its data pass the checks; the demo round waits for it
SLOW = 30_000  # ms: a signed record on a busy machine

# What the focus lands on, and whether it shows: an outline or a box shadow that is not none.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== 'none';
  return {
    tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name') || '',
    value: el.getAttribute('value') || '', text: (el.innerText || el.value || '').trim().slice(0, 60),
    form: el.closest('form') ? el.closest('form').innerText.trim().slice(0, 200) : '',
    visible_focus: ring,
  };
}"""


class Keyboard:
    """Move the focus with Tab and Shift+Tab only; check at each stop that the focus is visible."""

    def __init__(self, page):
        self.page = page
        self.stops = 0

    def tab_to(self, wanted, *, backwards: bool = False, limit: int = 80) -> dict:
        """Press Tab (or Shift+Tab) until the focused element is the wanted one; return it."""
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            focused = self.page.evaluate(FOCUSED)
            if focused is None:
                continue
            self.stops += 1
            assert focused["visible_focus"], f"no visible focus on {focused}"
            if wanted(focused):
                return focused
        raise AssertionError(f"{limit} presses of Tab did not reach the control on {self.page.url}")


def no_violations(page) -> None:
    found = axe_violations(page)
    assert not found, found


def sign_in_by_keyboard(browser, demo, username: str):
    context = browser.new_context(viewport=DESKTOP, locale="th-TH")
    page = context.new_page()
    page.goto(f"{demo}/accounts/login/")
    keys = Keyboard(page)
    keys.tab_to(lambda f: f["id"] == "id_username")
    page.keyboard.type(username)
    keys.tab_to(lambda f: f["id"] == "id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{demo}/")
    return page, keys


def test_count_day_with_the_keyboard_alone(browser, demo):
    # --- staff: open the waiting task from the home page, prepare, confirm ------------------------
    page, keys = sign_in_by_keyboard(browser, demo, "staff.maerim")
    keys.tab_to(lambda f: f["tag"] == "button" and "ตรวจสอบและเตรียมข้อมูล" in f["form"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/certification/\d+/prepare/\d+/execute/$"))
    no_violations(page)
    keys.tab_to(
        lambda f: (
            f["tag"] == "button"
            and "dmc-card"
            in page.evaluate("document.activeElement.closest('form')?.className || ''")
        )
    )
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/certification/\d+/confirm/\d+/execute/$"))
    no_violations(page)
    keys.tab_to(
        lambda f: (
            f["tag"] == "button"
            and "dmc-card"
            in page.evaluate("document.activeElement.closest('form')?.className || ''")
        )
    )
    page.keyboard.press("Enter")
    expect(page.locator(".dmc-messages li").first).to_be_visible(timeout=SLOW)
    school_round = SchoolRound.objects.get(school__code=SCHOOL, round__is_demo=True)
    assert school_round.state == SchoolRound.State.CONFIRMED
    page.context.close()

    # --- the director: open the task, tick the attestation with Space, certify with Enter --------
    page, keys = sign_in_by_keyboard(browser, demo, "director.maerim")
    keys.tab_to(lambda f: f["tag"] == "button" and "รับรอง" in f["form"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/certification/\d+/certify/\d+/execute/$"))
    no_violations(page)
    # Enter on the certify button first: the browser refuses to send it before the box is ticked.
    keys.tab_to(lambda f: f["name"] == "decision" and f["value"] == "certify")
    page.keyboard.press("Enter")
    expect(page.locator("#attest:invalid")).to_have_count(1)
    school_round.refresh_from_db()
    assert school_round.state == SchoolRound.State.CONFIRMED
    if page.evaluate("document.activeElement.id") != "attest":
        keys.tab_to(lambda f: f["id"] == "attest", backwards=True)
    page.keyboard.press("Space")
    expect(page.locator("#attest")).to_be_checked()
    keys.tab_to(lambda f: f["name"] == "decision" and f["value"] == "certify")
    page.keyboard.press("Enter")
    expect(page.locator(".dmc-messages li").first).to_be_visible(timeout=SLOW)
    school_round.refresh_from_db()
    assert school_round.state == SchoolRound.State.CERTIFIED
    assert keys.stops > 3
    page.context.close()
