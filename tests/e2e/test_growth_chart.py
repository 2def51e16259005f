"""A learner's page in a browser: the lines of their height and weight over the rounds the school
measured them in (seed_demo measures once a term, three years back), photographed for the school
staff's guide."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from schools.models import Enrollment, Grade

pytestmark = pytest.mark.e2e


def test_a_learners_page_draws_their_growth_over_the_rounds(demo, sign_in, screens):
    learner = (
        Enrollment.objects.filter(school__code="1050130001", grade=Grade.P6)
        .order_by("pk")
        .first()
        .student
    )
    measured = learner.measurements.count()
    assert measured == 7  # term 1 and term 2 of three past years, and this year's term 1
    page = sign_in("staff.maerim")
    page.goto(demo + reverse("schools:student", args=["1050130001", learner.public_id]))
    expect(page.locator("h1")).to_have_text(learner.full_name_th)
    charts = page.locator(".growth-charts svg")
    expect(charts).to_have_count(2)  # height, then weight
    for i in range(2):
        expect(charts.nth(i).locator("circle")).to_have_count(measured)
        expect(charts.nth(i).locator("polyline")).to_have_count(1)
    expect(page.locator("#measurements tbody tr")).to_have_count(measured)
    # The chapter's picture: the heading, both lines and the table of figures under them.
    page.locator("h2", has_text="น้ำหนักและส่วนสูง").evaluate(
        "h => window.scrollTo(0, h.getBoundingClientRect().top + window.scrollY - 16)"
    )
    screens(page, "staff-learner-growth")
    assert page.errors == [], page.errors
