"""Per-head subsidy: rates as data with history, the allocation rules against hand-computed
figures, and signed statements that a later rate change does not touch."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from census.allocation import allocation_summary, school_allocation
from census.models import SubsidyRate, SubsidyRateChange
from census.rates import fiscal_year_of, fiscal_year_of_term, subsidy_rate_update
from census.statements import allocation_statement_issue, area_statement_context
from documents import roles
from documents.models import SignedDocument
from schools.models import School

from .subsidy_data import BORN_K, BORN_P, K1, P1, P2, F, M, certify, rate, rates_2567, years


@pytest.fixture
def funded(school):
    """A small school: 2 P1 and an under-4 K1 on 10 Nov 2566; 3 P1, 1 P2 and the K1 (now 4) on
    10 June 2567."""
    rounds = years(2566, 2567)
    rates_2567()
    rate(2568, "tuition", "primary", 2100)
    rate(2568, "tuition", "pre_primary", 1900)
    nov = certify(school, rounds[(2566, 2)], [(P1, M, BORN_P), (P1, F, BORN_P), (K1, F, BORN_K)])
    june = certify(
        school, rounds[(2567, 1)],
        [(P1, M, BORN_P), (P1, F, BORN_P), (P1, M, BORN_P), (P2, F, BORN_P), (K1, F, BORN_K)],
    )  # fmt: skip
    return nov, june


def test_fiscal_year_mapping_follows_the_data_readme():
    # FY 2567 = 1 Oct 2023 – 30 Sep 2024: it pays term 2 of 2566 and term 1 of 2567.
    assert fiscal_year_of_term(academic_year=2566, term=2) == 2567
    assert fiscal_year_of_term(academic_year=2567, term=1) == 2567
    assert fiscal_year_of(date(2023, 10, 1)) == 2567
    assert fiscal_year_of(date(2024, 9, 30)) == 2567
    assert fiscal_year_of(date(2023, 9, 30)) == 2566


def _by(payment):
    return {(line.grade, line.item): line for line in payment.lines}


@override_settings(SUBSIDY_BALANCE_MODE="fixed_share")
def test_term_1_fixed_share(school, funded):
    nov, june = funded
    a = school_allocation(school=school, academic_year=2567, term=1)
    advance, balance = a.payments
    assert advance.snapshot_id == nov.pk and balance.snapshot_id == june.pk
    # Advance, 70% of the November count: 2 P1 × (1026 + 500 + 250 + 656 + 360) × 0.7; the K1 is 3.
    assert advance.amount == Decimal("3908.80")
    lines = _by(advance)
    assert lines[(P1, "tuition")].per_learner == Decimal("1026")  # half the yearly rate
    assert lines[(P1, "textbooks")].per_learner == Decimal("656")  # the grade's own rate
    assert lines[(K1, "tuition")].count == 0 and lines[(K1, "tuition")].under_age == 1
    # Balance, 30% of the June count: (3 × 2792 + 2736 + 1733) × 0.3; P2 takes the level's 600.
    assert _by(balance)[(P2, "textbooks")].per_learner == Decimal("600")
    assert _by(balance)[(K1, "tuition")].count == 1  # 4 years old on 10 June 2567
    assert balance.amount == Decimal("3853.50")
    assert a.total == Decimal("7762.30")
    assert a.status == "provisional"  # the uniforms of primary are provisional
    assert a.fiscal_year == 2567


@override_settings(SUBSIDY_BALANCE_MODE="true_up")
def test_term_1_true_up(school, funded):
    a = school_allocation(school=school, academic_year=2567, term=1)
    advance, balance = a.payments
    assert advance.amount == Decimal("3908.80")
    assert balance.gross == Decimal("12845.00") and balance.deduction == Decimal("3908.80")
    assert balance.amount == Decimal("8936.20")
    assert a.total == Decimal("12845.00")


@override_settings(SUBSIDY_BALANCE_MODE="fixed_share", SUBSIDY_ADVANCE_SHARE="0.60")
def test_the_advance_share_is_a_setting(school, funded):
    advance, balance = school_allocation(school=school, academic_year=2567, term=1).payments
    assert advance.amount == Decimal("3350.40")  # 2 × 2792 × 0.6
    assert balance.amount == Decimal("5138.00")  # 12845 × 0.4


def test_term_2_pays_per_term_items_on_june_and_lists_missing_rates(school, funded):
    a = school_allocation(school=school, academic_year=2567, term=2)
    (payment,) = a.payments
    assert payment.round.number == 1 and payment.round.academic_year.year == 2567
    assert {line.item for line in payment.lines} == {"tuition", "learning_supplies", "activities"}
    # FY 2568 rates: tuition only. 3 P1 × 1050 + 1 P2 × 1050 + 1 K1 × 950.
    assert payment.amount == Decimal("5150.00")
    assert a.status == "incomplete"
    assert (("learning_supplies", P1) in a.missing_rates) and (
        ("activities", K1) in a.missing_rates
    )
    assert _by(payment)[(P1, "activities")].per_learner is None  # listed, not a silent zero


def test_a_missing_november_count_leaves_the_advance_missing(school, funded):
    a = school_allocation(school=school, academic_year=2568, term=1)
    assert a.status == "none" and a.total == 0  # neither Nov 2567 nor June 2568 exists


def test_a_school_without_certification_gets_nothing(other_school, funded):
    a = school_allocation(school=other_school, academic_year=2567, term=1)
    assert a.status == "none" and a.total == 0
    assert [p.funded for p in a.payments] == [False, False]


def test_the_summary_agrees_with_the_school_figures(school, other_school, funded):
    from schools.models import School

    summary = allocation_summary(schools=School.objects.all(), academic_year=2567, term=1)
    rows = {s["code"]: s for s in summary.schools}
    assert rows[school.code]["total"] == Decimal("7762.30")
    assert rows[school.code]["status"] == "provisional"
    assert rows[other_school.code]["status"] == "none"
    assert summary.total == Decimal("7762.30")
    assert sum(summary.items.values()) == summary.total


def test_a_signed_statement_does_not_change_with_a_later_rate(
    school, funded, area_officer, ministry_admin
):
    allocation = school_allocation(school=school, academic_year=2567, term=1)
    first = allocation_statement_issue(
        allocation=allocation, actor=area_officer, actor_role=roles.ROLE_AREA_OFFICER
    )
    data = first.file.open("rb").read()
    tuition = SubsidyRate.objects.get(fiscal_year=2567, item="tuition", level="primary")
    subsidy_rate_update(rate=tuition, actor=ministry_admin, baht_per_year=Decimal(3000))
    changed = school_allocation(school=school, academic_year=2567, term=1)
    assert changed.total != allocation.total
    again = allocation_statement_issue(
        allocation=changed, actor=ministry_admin, actor_role=roles.ROLE_MINISTRY
    )
    assert again.pk == first.pk
    assert again.file.open("rb").read() == data
    assert SignedDocument.objects.filter(kind="allocation_statement").count() == 1


def test_the_area_officer_signs_from_the_page_and_the_school_reads_it(
    client_as, school, funded, area_officer, staff
):
    url = reverse("census:school_allocation", args=[school.code, 2567, 1])
    assert client_as(staff).post(url).status_code == 403
    response = client_as(area_officer).post(url)
    assert response.status_code == 302
    document = SignedDocument.objects.get(kind="allocation_statement")
    assert document.school == school
    body = client_as(staff).get(url).content.decode()
    assert str(document.public_id) in body
    assert "3,908.80" in body and "7,762.30" in body


def test_the_area_statement_is_signed_once(client_as, school, funded, area_officer):
    client = client_as(area_officer)
    data = {"area": school.area_office.code, "year": 2567, "term": 1}
    assert client.post(reverse("census:area_statement"), data).status_code == 302
    assert client.post(reverse("census:area_statement"), data).status_code == 302
    document = SignedDocument.objects.get(kind="allocation_statement")
    assert document.area_office == school.area_office and document.school is None


def test_the_area_statement_is_in_thai_when_signed_from_an_english_page(school, funded):
    summary = allocation_summary(
        schools=School.objects.filter(pk=school.pk), academic_year=2567, term=1
    )
    with translation.override("th"):
        thai = area_statement_context(summary)

    with translation.override("en"):
        context = area_statement_context(summary)

    assert context == thai
    assert dict(context["facts"])["การจ่ายส่วนที่เหลือ"] == dict(thai["facts"])["การจ่ายส่วนที่เหลือ"]
    assert not re.search(r"[A-Za-z]{3,}", str(dict(context["facts"])["การจ่ายส่วนที่เหลือ"]))


@pytest.mark.parametrize(
    "term,headings",
    [(1, ["งวดแรกจากข้อมูล 10 พฤศจิกายนก่อนหน้า", "ส่วนที่เหลือจากข้อมูล 10 มิถุนายน"]),
     (2, ["ภาคเรียนที่ 2 จากข้อมูล 10 มิถุนายน"])],
)  # fmt: skip
def test_the_school_allocation_page_names_each_payment_by_the_count_that_funds_it(
    client_as, school, funded, director, term, headings
):
    url = reverse("census:school_allocation", args=[school.code, 2567, term])
    body = client_as(director).get(url).content.decode()
    assert re.findall(r"<h2>([^<]*?) · ", body) == headings


@pytest.mark.parametrize(
    "persona,status",
    [("staff", 200), ("director", 200), ("area_officer", 200), ("ministry_admin", 200),
     ("other_school_staff", 404), ("other_area_officer", 404), ("id_approver", 404)],
)  # fmt: skip
def test_who_sees_a_school_allocation(client_as, request, school, funded, persona, status):
    user = request.getfixturevalue(persona)
    url = reverse("census:school_allocation", args=[school.code, 2567, 1])
    assert client_as(user).get(url).status_code == status


# --- rates ----------------------------------------------------------------------------------------


def test_load_subsidy_rates_twice_gives_the_same_rows(db):
    call_command("load_subsidy_rates")
    assert SubsidyRate.objects.count() == 16
    call_command("load_subsidy_rates")
    assert SubsidyRate.objects.count() == 16
    assert SubsidyRateChange.objects.count() == 16  # one creation each, no change the second time
    lower = SubsidyRate.objects.get(fiscal_year=2567, item="tuition", level="lower_secondary")
    assert lower.status == "provisional" and lower.note.startswith("น่าจะเป็น")
    assert lower.baht_per_year == Decimal("3780")
    p1 = SubsidyRate.objects.get(fiscal_year=2566, item="textbooks", grade=P1)
    assert p1.status == "confirmed" and p1.level == "primary" and p1.baht_per_year == 656
    uniforms = SubsidyRate.objects.get(fiscal_year=2557, item="uniforms", level="primary")
    assert uniforms.status == "provisional" and "เพิ่ม 7%" in uniforms.note


def _form(rate, **changes):
    data = {
        "fiscal_year": rate.fiscal_year, "item": rate.item, "level": rate.level,
        "grade": rate.grade, "baht_per_year": rate.baht_per_year, "status": rate.status,
        "note": rate.note, "source": rate.source,
    }  # fmt: skip
    return {**data, **changes}


def test_the_ministry_admin_changes_a_rate_with_history(client_as, ministry_admin):
    tuition = rate(2567, "tuition", "lower_secondary", 3740, status="provisional")
    client = client_as(ministry_admin)
    assert client.get(reverse("census:rates")).status_code == 200
    response = client.post(
        reverse("census:rate_edit", args=[tuition.pk]),
        _form(tuition, baht_per_year="3780", status="confirmed"),
    )
    assert response.status_code == 302
    tuition.refresh_from_db()
    assert tuition.baht_per_year == 3780 and tuition.status == "confirmed"
    change = SubsidyRateChange.objects.filter(rate=tuition).order_by("pk").last()
    assert change.changed_by == ministry_admin
    assert change.old["baht_per_year"] == "3740.00" and change.new["baht_per_year"] == "3780.00"
    assert change.old["status"] == "provisional" and change.new["status"] == "confirmed"
    body = client.get(reverse("census:rate_edit", args=[tuition.pk])).content.decode()
    assert "3740.00" in body and "3780.00" in body


def test_the_ministry_admin_adds_a_rate(client_as, ministry_admin):
    response = client_as(ministry_admin).post(
        reverse("census:rate_create"),
        {"fiscal_year": 2568, "item": "activities", "level": "primary", "grade": "",
         "baht_per_year": "480", "status": "provisional", "note": "", "source": "letter"},
    )  # fmt: skip
    assert response.status_code == 302
    added = SubsidyRate.objects.get(fiscal_year=2568, item="activities")
    assert SubsidyRateChange.objects.get(rate=added).old is None


def test_a_grade_outside_its_level_is_refused(client_as, ministry_admin):
    response = client_as(ministry_admin).post(
        reverse("census:rate_create"),
        {"fiscal_year": 2568, "item": "textbooks", "level": "primary", "grade": "10M1",
         "baht_per_year": "800", "status": "confirmed", "note": "", "source": ""},
    )  # fmt: skip
    assert response.status_code == 200 and not SubsidyRate.objects.exists()


@pytest.mark.parametrize("persona", ["staff", "director", "area_officer", "id_approver"])
def test_only_the_ministry_edits_rates(db, client_as, request, persona):
    tuition = rate(2567, "tuition", "primary", 2052)
    client = client_as(request.getfixturevalue(persona))
    assert client.get(reverse("census:rates")).status_code == 403
    assert (
        client.post(
            reverse("census:rate_edit", args=[tuition.pk]), _form(tuition, baht_per_year="1")
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("census:rate_create"), _form(tuition, fiscal_year=2568)).status_code
        == 403
    )
    tuition.refresh_from_db()
    assert tuition.baht_per_year == 2052
    assert SubsidyRateChange.objects.count() == 1 and SubsidyRate.objects.count() == 1
