"""The national summary sums the money in the database, in satang; a school's own statement sums it
in Python, line by line. Whatever the rates, shares, balance mode and counts, the two agree to the
satang, for every school, payment and status (and for snapshots frozen under another minimum age,
counted again from their rows)."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from census import allocation
from census.models import SnapshotGradeCount
from census.rates import fiscal_year_of_term
from schools.models import School

from ..fuzz import strategies  # noqa: F401  (loads the Hypothesis profile)
from ..fuzz.strategies import examples
from .subsidy_data import K1, P1, P2, F, M, certify, rate, years

GRADES = [P1, P2, K1, "10M1", "14M5"]
BORN = {P1: date(2016, 7, 1), P2: date(2015, 7, 1), K1: date(2020, 6, 1),
        "10M1": date(2011, 7, 1), "14M5": date(2007, 7, 1)}  # fmt: skip
LEVELS = {P1: "primary", P2: "primary", K1: "pre_primary", "10M1": "lower_secondary",
          "14M5": "upper_secondary"}  # fmt: skip
ITEMS = ["tuition", "learning_supplies", "activities", "textbooks", "uniforms"]

learners = st.lists(
    st.tuples(st.sampled_from(GRADES), st.sampled_from([M, F]), st.booleans()), max_size=5
)
rates = st.dictionaries(
    st.tuples(st.sampled_from(ITEMS), st.sampled_from(sorted(set(LEVELS.values())))),
    st.tuples(
        st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False),
        st.sampled_from(["confirmed", "confirmed", "provisional"]),
    ),
    max_size=12,
)


def _born(grade: str, under_age: bool) -> date:
    return date(2022, 1, 1) if under_age else BORN[grade]


@given(
    data=st.data(),
    term=st.sampled_from([1, 2]),
    mode=st.sampled_from(["fixed_share", "true_up"]),
    share=st.sampled_from(["0.70", "0.65", "0.333", "0.5"]),
    rate_book=rates,
)
@settings(max_examples=examples(15))
def test_the_summary_agrees_with_each_school_to_the_satang(
    school, other_school, data, term, mode, share, rate_book
):
    with (
        transaction.atomic(),
        override_settings(SUBSIDY_BALANCE_MODE=mode, SUBSIDY_ADVANCE_SHARE=share),
    ):
        rounds = years(2566, 2567)
        fiscal_year = fiscal_year_of_term(academic_year=2567, term=term)
        for (item, level), (baht, status) in rate_book.items():
            rate(fiscal_year, item, level, baht, status=status)
        for each in (school, other_school):
            for key in ((2566, 2), (2567, 1)):
                roster = data.draw(learners)
                if not roster and data.draw(st.booleans()):
                    continue  # no certified count for this round
                snapshot = certify(
                    each, rounds[key], [(g, sex, _born(g, young)) for g, sex, young in roster]
                )
                if data.draw(st.integers(0, 4)) == 0:  # frozen under another minimum age
                    SnapshotGradeCount.objects.filter(snapshot=snapshot).update(min_age=6)
        summary = allocation.allocation_summary(
            schools=School.objects.all(), academic_year=2567, term=term
        )
        rows = {row["code"]: row for row in summary.schools}
        for each in (school, other_school):
            own = allocation.school_allocation(school=each, academic_year=2567, term=term)
            row = rows[each.code]
            assert row["total"] == own.total, (each.code, row, own)
            assert row["status"] == own.status
            for payment in own.payments:
                assert row["payments"].get(payment.rule.key, Decimal(0)) == payment.amount
        assert summary.total == sum((r["total"] for r in summary.schools), Decimal(0))
        assert sum(summary.items.values(), Decimal(0)) - summary.deduction == summary.total
        transaction.set_rollback(True)
