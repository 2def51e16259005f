"""The ministry's pages, and the help menu read in a browser: the guides and their pictures load
with the Content-Security-Policy in force (a refused script or image is a console error)."""

import pytest
from playwright.sync_api import expect

from census.models import Round

pytestmark = pytest.mark.e2e


def test_ministry_pages_and_the_help_menu(demo, sign_in, screens):
    page = sign_in("admin")
    screens(page, "ministry-home")
    demo_round = Round.objects.get(is_demo=True)
    page.goto(f"{demo}/census/dashboard/?round={demo_round.pk}")
    expect(page.locator("h1")).to_be_visible()
    screens(page, "ministry-national-dashboard")
    page.goto(f"{demo}/census/")
    expect(page.locator("h1")).to_be_visible()
    screens(page, "ministry-calendar")
    page.goto(f"{demo}/census/reports/")
    expect(page.locator("h1")).to_be_visible()
    screens(page, "ministry-reports")
    page.goto(f"{demo}/census/reports/nutrition/")
    expect(page.locator("h1")).to_contain_text("ภาวะโภชนาการ")
    expect(page.locator("table").first).to_be_visible()
    screens(page, "ministry-nutrition")
    page.goto(f"{demo}/census/rates/")
    expect(page.locator("h1")).to_be_visible()
    screens(page, "ministry-rates")
    assert page.errors == [], page.errors

    # An area office's nutrition report: its schools, each with its bands.
    page = sign_in("area.cm1")
    page.goto(f"{demo}/census/reports/nutrition/")
    expect(page.locator("h1")).to_contain_text("ภาวะโภชนาการ")
    screens(page, "area-nutrition")
    assert page.errors == [], page.errors

    # The help menu, from the site menu, for a school's staff.
    page = sign_in("staff.padaet")
    page.locator("vf-page-menu-navigation a[href='/help/']").click()
    mine = page.locator(".dmc-help-nav a").first
    expect(mine).to_have_attribute("href", "/help/school-staff/")
    screens(page, "help-index")
    mine.click()
    pictures = page.locator("#guide img")
    expect(pictures.first).to_be_visible()
    for i in range(pictures.count()):
        pictures.nth(i).scroll_into_view_if_needed()  # the pictures load lazily
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=pictures.nth(i).element_handle()
        )
    page.evaluate("window.scrollTo(0, 0)")
    screens(page, "help-guide")
    assert page.errors == [], page.errors
