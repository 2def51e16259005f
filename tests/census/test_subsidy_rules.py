"""The subsidy's eligibility and arithmetic at their edges (issue 24, docs/mutation.md): who is under
the minimum age on the count's as-of date (the birthday on that very day, the leap day), which
level a grade is paid at, which fiscal year pays a term, half-rates per term, rounding to the
satang, and the status of an allocation."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from hypothesis import example, given
from hypothesis import strategies as st

from census.allocation import SchoolAllocation, funded_born_after, school_allocation
from census.models import SubsidyLevel
from census.rates import (
    fiscal_year_of,
    fiscal_year_of_term,
    items_of_term,
    level_of,
    per_payment_rate,
)
from schools.models import Grade

from .subsidy_data import K1, P1, F, M, certify, rate, years

JUNE_2567 = date(2024, 6, 10)  # as-of date of round 1 of academic year 2567
CUTOFF = date(2020, 6, 10)  # four years before it


# --- the minimum age --------------------------------------------------------------------------------


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31)))
@example(JUNE_2567)
@example(date(2024, 2, 29))  # leap day, four years after a leap day
@example(date(2028, 2, 29))
@example(date(2024, 3, 1))
@example(date(2023, 12, 31))
def test_the_minimum_age_cutoff_is_the_as_of_date_four_years_earlier(as_of):
    cutoff = funded_born_after(as_of)
    assert cutoff.year == as_of.year - 4
    assert (cutoff.month, cutoff.day) == (as_of.month, as_of.day)


@override_settings(SUBSIDY_MIN_AGE=3)
@pytest.mark.parametrize(
    "as_of,cutoff",
    [
        (date(2028, 2, 29), date(2025, 2, 28)),  # no 29 February three years earlier
        (date(2028, 2, 28), date(2025, 2, 28)),
        (date(2028, 3, 1), date(2025, 3, 1)),
    ],
)
def test_on_a_leap_day_the_cutoff_is_28_february_of_a_year_without_one(as_of, cutoff):
    assert funded_born_after(as_of) == cutoff


@pytest.fixture
def june(school):
    """Round 1 of 2567 (as of 10 June 2024) and rates for term 2 of 2567 (FY 2568)."""
    rounds = years(2567)
    rate(2568, "tuition", "pre_primary", 1900)
    rate(2568, "learning_supplies", "pre_primary", 200)
    rate(2568, "activities", "pre_primary", 430)
    return rounds[(2567, 1)]


def k1_line(school, item="tuition"):
    allocation = school_allocation(school=school, academic_year=2567, term=2)
    (payment,) = allocation.payments
    return next(line for line in payment.lines if (line.grade, line.item) == (K1, item))


@pytest.mark.parametrize(
    "born,funded",
    [
        (CUTOFF - timedelta(days=1), True),
        (CUTOFF, True),  # four years old on the as-of date itself: funded
        (CUTOFF + timedelta(days=1), False),  # four the day after: under age
    ],
)
def test_a_child_four_on_the_as_of_date_is_funded_and_one_a_day_younger_is_not(
    school, june, born, funded
):
    certify(school, june, [(K1, F, born)])
    line = k1_line(school)
    assert (line.count, line.under_age) == ((1, 0) if funded else (0, 1))
    assert line.amount == (Decimal("950.00") if funded else Decimal("0.00"))


@pytest.mark.parametrize("counted_with", [3, 5])
def test_a_snapshot_frozen_under_another_minimum_age_is_counted_again_with_todays(
    school, june, counted_with
):
    # Frozen while the minimum age was 3 (or 5), read while it is 4: its learners are counted
    # again from the snapshot's rows, with the boundary where it is now.
    with override_settings(SUBSIDY_MIN_AGE=counted_with):
        certify(
            school, june,
            [(K1, F, CUTOFF), (K1, M, CUTOFF + timedelta(days=1)), (K1, M, date(2019, 1, 1))],
        )  # fmt: skip
    line = k1_line(school)
    assert (line.count, line.under_age) == (2, 1)
    assert line.amount == Decimal("1900.00")


@override_settings(SUBSIDY_MIN_AGE=3)
def test_the_minimum_age_is_a_setting_read_when_the_snapshot_is_frozen(school, june):
    three = date(2021, 6, 10)
    certify(school, june, [(K1, F, three), (K1, M, three + timedelta(days=1))])
    line = k1_line(school)
    assert (line.count, line.under_age) == (1, 1)


# --- levels, fiscal years, per-term rates -------------------------------------------------------------


@pytest.mark.parametrize(
    "grade,level",
    [
        (Grade.K1, SubsidyLevel.PRE_PRIMARY),
        (Grade.K3, SubsidyLevel.PRE_PRIMARY),
        (Grade.P1, SubsidyLevel.PRIMARY),
        (Grade.P6, SubsidyLevel.PRIMARY),
        (Grade.M1, SubsidyLevel.LOWER_SECONDARY),
        (Grade.M3, SubsidyLevel.LOWER_SECONDARY),  # the last lower-secondary grade
        (Grade.M4, SubsidyLevel.UPPER_SECONDARY),  # the first upper-secondary grade
        (Grade.M6, SubsidyLevel.UPPER_SECONDARY),
    ],
)
def test_each_grade_is_paid_at_its_level(grade, level):
    assert level_of(grade) == level


@pytest.mark.parametrize(
    "day,fiscal_year",
    [
        (date(2023, 9, 30), 2566),
        (date(2023, 10, 1), 2567),  # the fiscal year begins on 1 October
        (date(2024, 1, 1), 2567),
        (date(2024, 9, 30), 2567),
        (date(2024, 11, 30), 2568),
    ],
)
def test_a_day_falls_in_the_fiscal_year_that_began_on_the_last_1_october(day, fiscal_year):
    assert fiscal_year_of(day) == fiscal_year


@pytest.mark.parametrize("year", [2566, 2567, 2570])
def test_term_1_is_paid_by_its_own_fiscal_year_and_term_2_by_the_next(year):
    assert fiscal_year_of_term(academic_year=year, term=1) == year
    assert fiscal_year_of_term(academic_year=year, term=2) == year + 1


def test_term_1_pays_every_item_and_term_2_only_the_per_term_ones():
    assert items_of_term(1) == (
        "tuition", "learning_supplies", "activities", "textbooks", "uniforms",
    )  # fmt: skip
    assert items_of_term(2) == ("tuition", "learning_supplies", "activities")


@pytest.mark.parametrize(
    "item,per_payment",
    [
        ("tuition", Decimal("1025.5")),  # per term: half the yearly rate, to the satang
        ("learning_supplies", Decimal("1025.5")),
        ("activities", Decimal("1025.5")),
        ("textbooks", Decimal("2051")),  # yearly: paid whole, on term 1
        ("uniforms", Decimal("2051")),
    ],
)
def test_per_term_items_pay_half_the_yearly_rate_and_yearly_items_all_of_it(item, per_payment):
    assert per_payment_rate(item=item, baht_per_year=Decimal("2051")) == per_payment


@override_settings(SUBSIDY_BALANCE_MODE="fixed_share", SUBSIDY_ADVANCE_SHARE="0.333")
def test_each_line_is_rounded_half_up_to_the_satang(school):
    rounds = years(2566, 2567)
    rate(2567, "tuition", "primary", 1001)  # half: 500.50; × 0.333 = 166.6665 → 166.67
    certify(school, rounds[(2566, 2)], [(P1, M, date(2016, 7, 1))])
    advance = school_allocation(school=school, academic_year=2567, term=1).payments[0]
    line = next(line for line in advance.lines if line.item == "tuition")
    assert line.per_learner == Decimal("500.5")
    assert line.amount == Decimal("166.67") and advance.amount == Decimal("166.67")


# --- status ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "funded,payments,missing_rates,provisional,status",
    [
        (0, 2, False, False, "none"),
        (0, 1, True, True, "none"),
        (1, 2, False, False, "incomplete"),  # one payment's count is missing
        (2, 2, True, False, "incomplete"),  # a funded line's rate is missing
        (1, 1, True, True, "incomplete"),
        (2, 2, False, True, "provisional"),
        (1, 1, False, True, "provisional"),
        (2, 2, False, False, "final"),
        (1, 1, False, False, "final"),
    ],
)
def test_the_status_of_an_allocation(funded, payments, missing_rates, provisional, status):
    assert (
        SchoolAllocation.status_of(
            funded=funded, payments=payments, missing_rates=missing_rates, provisional=provisional
        )
        == status
    )


def test_a_line_that_funds_nobody_makes_no_rate_provisional_or_missing(school):
    rounds = years(2566, 2567)
    rate(2567, "tuition", "pre_primary", 1836, status="provisional")
    # Only an under-age K1 in November: its lines fund nobody.
    certify(school, rounds[(2566, 2)], [(K1, F, date(2021, 1, 1))])
    certify(school, rounds[(2567, 1)], [(P1, F, date(2016, 7, 1))])
    rate(2567, "tuition", "primary", 2000)
    rate(2567, "learning_supplies", "primary", 0)
    rate(2567, "activities", "primary", 0)
    rate(2567, "textbooks", "primary", 0)
    rate(2567, "uniforms", "primary", 0)
    allocation = school_allocation(school=school, academic_year=2567, term=1)
    assert allocation.missing_rates == set()
    assert allocation.provisional_rates == set()
    assert allocation.status == "final"
