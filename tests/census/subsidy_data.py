"""Test data for the subsidy and reports: certified snapshots built directly, rates via services."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from census.models import RosterSnapshot, Round, SchoolRound, SnapshotRow
from census.rates import subsidy_rate_create
from census.services import academic_year_create, snapshots_counts_write
from schools.models import Sex
from tests.factories import StudentFactory, UserFactory

P1, P2, K1 = "04P1", "05P2", "01K1"


def years(*year_be: int) -> dict[tuple[int, int], Round]:
    """Create academic years with their rounds; return rounds by (year, number)."""
    for y in year_be:
        academic_year_create(year_be=y, actor=None)
    return {
        (r.academic_year.year, r.number): r for r in Round.objects.select_related("academic_year")
    }


def certify(school, round: Round, learners, *, students=None) -> RosterSnapshot:
    """Freeze a certified snapshot of (grade, sex, birth date) learners; reuse students if given."""
    certifier = UserFactory(username="certifier")
    school_round, _ = SchoolRound.objects.get_or_create(
        round=round, school=school, defaults={"state": SchoolRound.State.CERTIFIED}
    )
    snapshot = RosterSnapshot.objects.create(
        school_round=school_round, school=school, round=round, as_of=round.as_of,
        certified_at=timezone.now(), certified_by=certifier,
    )  # fmt: skip
    rows = []
    for i, (grade, sex, born) in enumerate(learners):
        student = students[i] if students else StudentFactory(sex=sex, birth_date=born)
        rows.append(SnapshotRow(
            snapshot=snapshot, student=student, citizen_id=student.citizen_id or "",
            title=student.title, first_name_th=student.first_name_th,
            last_name_th=student.last_name_th, sex=sex, birth_date=born, grade=grade, room=1,
        ))  # fmt: skip
    SnapshotRow.objects.bulk_create(rows)
    # The freeze's counts, as the real freeze writes them from the rows.
    snapshots_counts_write(
        snapshots=RosterSnapshot.objects.filter(pk=snapshot.pk), as_of=round.as_of
    )
    snapshot.refresh_from_db(fields=["counts", "learner_count"])
    return snapshot


def rate(fy, item, level, baht, grade="", status="confirmed"):
    return subsidy_rate_create(
        actor=None, fiscal_year=fy, item=item, level=level, grade=grade,
        baht_per_year=Decimal(baht), status=status, note="", source="test",
    )  # fmt: skip


def rates_2567():
    """FY 2567 (pays term 1 of 2567): every item for primary and pre-primary; uniforms of primary
    provisional; textbooks of P1 at their own grade rate."""
    rate(2567, "tuition", "primary", 2052)
    rate(2567, "learning_supplies", "primary", 1000)
    rate(2567, "activities", "primary", 500)
    rate(2567, "textbooks", "primary", 600)
    rate(2567, "textbooks", "primary", 656, grade=P1)
    rate(2567, "uniforms", "primary", 360, status="provisional")
    rate(2567, "tuition", "pre_primary", 1836)
    rate(2567, "learning_supplies", "pre_primary", 200)
    rate(2567, "activities", "pre_primary", 430)
    rate(2567, "textbooks", "pre_primary", 200)
    rate(2567, "uniforms", "pre_primary", 300)


M, F = Sex.MALE, Sex.FEMALE
BORN_P = date(2016, 7, 1)
BORN_K = date(2020, 6, 1)  # 3 on 10 Nov 2023, 4 on 10 Jun 2024
