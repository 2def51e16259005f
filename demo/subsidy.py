"""Demo data for the subsidy: the rates file, and the term the demo's certified round funds."""

from datetime import date

from django.db import transaction

from census.models import RosterSnapshot, Round, SubsidyRate
from census.rates import (
    DEFAULT_RATES_CSV,
    fiscal_year_of_term,
    items_of_term,
    subsidy_rate_create,
    subsidy_rates_load,
)

# Data of the demo, in Thai like the rates it stands beside (not a message: no catalogue).
DEMO_NOTE = "ข้อมูลสาธิตเท่านั้น: ยกมาจากปีงบประมาณ %d ไม่ใช่อัตราทางการ"


def funded_term(round: Round) -> tuple[int, int]:
    """Return (academic year, term) a count round funds first: November → term 1 of the next
    year (its advance), June → term 1 of the same year (its balance) and term 2."""
    year = round.academic_year.year
    return (year + 1, 1) if round.number == 2 else (year, 1)


@transaction.atomic
def subsidy_demo(*, today: date) -> dict:
    """Load the rates and, for the term the demo's certified round funds, enter demo rates (marked
    provisional, carried forward from the latest known year) where none exist; return what was
    done. Counts are never invented: a payment whose count round is not certified stays missing.
    Idempotent."""
    loaded = subsidy_rates_load(path=DEFAULT_RATES_CSV)
    round = (
        Round.objects.filter(
            is_demo=False,
            number__in=(1, 2),
            as_of__lte=today,
            snapshots__status=RosterSnapshot.Status.CERTIFIED,
        )
        .select_related("academic_year")
        .order_by("-as_of")
        .first()
    )
    done = {"loaded": loaded, "round": round, "term": None, "fiscal_year": None, "carried": 0}
    if round is None:
        return done
    year, term = funded_term(round)
    fiscal_year = fiscal_year_of_term(academic_year=year, term=term)
    done.update(term=(year, term), fiscal_year=fiscal_year)
    existing = set(
        SubsidyRate.objects.filter(fiscal_year=fiscal_year).values_list("item", "level", "grade")
    )
    latest: dict[tuple[str, str, str], SubsidyRate] = {}
    for rate in SubsidyRate.objects.filter(
        fiscal_year__lt=fiscal_year, item__in=items_of_term(term)
    ).order_by("fiscal_year"):
        latest[(rate.item, rate.level, rate.grade)] = rate
    for key, rate in sorted(latest.items()):
        if key in existing:
            continue
        subsidy_rate_create(
            actor=None,
            fiscal_year=fiscal_year,
            item=rate.item,
            level=rate.level,
            grade=rate.grade,
            baht_per_year=rate.baht_per_year,
            status=SubsidyRate.Status.PROVISIONAL,
            note=DEMO_NOTE % rate.fiscal_year,
            source="ข้อมูลสาธิต",
        )
        done["carried"] += 1
    return done
