"""The year rollover: when a new academic year begins every active learner moves up one grade, and
those finishing อ.3, ป.6, ม.3 and ม.6 leave as graduates, unless their school keeps them.

Schools review their list before round 1 (a choice per learner where it differs from the default);
the ministry then applies the rollover, one Celery task per school. Each school moves once per
year, in one transaction, with an audit entry per learner and a signed summary; running it again
changes nothing. Schools never promote by hand."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, F, Q, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from documents.models import Kind
from documents.roles import ROLE_MINISTRY
from documents.services import document_issue
from schools.calendar import academic_year_start
from schools.models import AuditEntry, Enrollment, EnrollmentStatus, Grade, School
from schools.services import AuditLine, audit_lines_record
from schools.templatetags.thai import thai_date

from .models import AcademicYear, RolloverChoice, RolloverDecision, Round, SchoolRollover
from .selectors import roster_locked

FINAL_GRADES = (Grade.K3, Grade.P6, Grade.M3, Grade.M6)
_ORDER = list(Grade.values)


def next_grade(grade: str) -> str | None:
    """Return the grade after a grade, or None after ม.6."""
    i = _ORDER.index(grade)
    return _ORDER[i + 1] if i + 1 < len(_ORDER) else None


def finishes(grade: str, school: School) -> bool:
    """Return whether a grade ends a stage of schooling, or the school's own top grade."""
    return grade in FINAL_GRADES or grade == school.highest_grade


def default_choice(grade: str, school: School) -> str:
    """Return what happens to a learner of a grade when the school says nothing."""
    return RolloverChoice.GRADUATE if finishes(grade, school) else RolloverChoice.MOVE_UP


def check_choice(*, grade: str, choice: str, school: School) -> None:
    """Refuse a choice that a learner of a grade at a school cannot take."""
    if choice not in RolloverChoice.values:
        raise ValidationError(_("Not a valid choice."))
    if choice == RolloverChoice.MOVE_UP and next_grade(grade) is None:
        raise ValidationError(_("M6 is the last grade: there is none to move up to."))
    if choice == RolloverChoice.MOVE_UP and not school.teaches(next_grade(grade)):
        raise ValidationError(
            _("The school has no %(grade)s to move up to.")
            % {"grade": Grade(next_grade(grade)).label}
        )
    if choice == RolloverChoice.GRADUATE and not finishes(grade, school):
        raise ValidationError(
            _(
                "Only kindergarten 3, primary 6, secondary 3 and secondary 6 finish; a learner leaving "
                "mid-way is a dropout or a transfer."
            )
        )


# --- when ---------------------------------------------------------------------------------------


def _first_round(year: AcademicYear) -> Round | None:
    return Round.objects.filter(academic_year=year, is_demo=False, number=1).first()


def _last_round_before(year: AcademicYear) -> Round | None:
    return (
        Round.objects.filter(academic_year__year=year.year - 1, is_demo=False)
        .order_by("-certify_closes")
        .first()
    )


def review_year(*, at: datetime | None = None) -> AcademicYear | None:
    """Return the academic year schools review their lists for: the next one whose round 1 has
    not opened yet (None when the ministry has not opened it)."""
    now = at or timezone.now()
    return (
        AcademicYear.objects.filter(
            rounds__number=1, rounds__is_demo=False, rounds__confirm_opens__gt=now
        )
        .order_by("year")
        .first()
    )


def check_rollover_open(*, academic_year: AcademicYear, at: datetime | None = None) -> None:
    """Refuse the rollover before the previous year's last round has closed, or once round 1 of
    the new year has opened (then the counts would mix two years)."""
    now = at or timezone.now()
    last = _last_round_before(academic_year)
    if last is not None and now < last.certify_closes:
        raise ValidationError(
            _("The rollover opens after %(round)s closes (%(at)s).")
            % {"round": last, "at": thai_date(last.certify_closes)},
            code="not_yet",
        )
    first = _first_round(academic_year)
    if first is not None and now >= first.confirm_opens:
        raise ValidationError(
            _("%(round)s has opened: it is too late to roll over.") % {"round": first},
            code="too_late",
        )


# --- the school's review ------------------------------------------------------------------------


@dataclass
class ReviewLine:
    enrollment: Enrollment
    choice: str
    decided: bool


@dataclass
class Review:
    academic_year: AcademicYear
    school: School
    done: SchoolRollover | None
    grades: list[dict] = field(default_factory=list)
    lines: list[ReviewLine] = field(default_factory=list)


def school_rollover_review(
    *, academic_year: AcademicYear, school: School, grade: str | None = None
) -> Review:
    """Return what the rollover will do at a school: per grade, and learner by learner for the
    final grades (or for one grade when asked)."""
    done = SchoolRollover.objects.filter(academic_year=academic_year, school=school).first()
    review = Review(academic_year=academic_year, school=school, done=done)
    if done is not None:
        return review
    active = Enrollment.objects.filter(school=school, status=EnrollmentStatus.ACTIVE)
    decisions = dict(
        RolloverDecision.objects.filter(
            academic_year=academic_year, enrollment__in=active
        ).values_list("enrollment_id", "choice")
    )
    per_grade = dict(active.values_list("grade").annotate(n=Count("pk")).values_list("grade", "n"))
    grade_of = dict(Enrollment.objects.filter(pk__in=list(decisions)).values_list("pk", "grade"))
    changed = Counter((grade_of[pk], choice) for pk, choice in decisions.items())
    for g in _ORDER:
        if g not in per_grade:
            continue
        outcome = Counter({default_choice(g, school): per_grade[g]})
        for (grade_, choice), n in changed.items():
            if grade_ == g:
                outcome[default_choice(g, school)] -= n
                outcome[choice] += n
        following = next_grade(g)
        review.grades.append(
            {"grade": g, "next": following, "total": per_grade[g], **dict(outcome),
             "can_stay": bool(following) and school.teaches(following)}
        )  # fmt: skip
    finals = [*FINAL_GRADES, school.highest_grade]
    shown = active.filter(grade=grade) if grade else active.filter(grade__in=finals)
    for e in shown.select_related("student").order_by("grade", "room", "student__first_name_th"):
        choice = decisions.get(e.pk, default_choice(e.grade, school))
        review.lines.append(ReviewLine(e, choice, e.pk in decisions))
    return review


def grade_choices(*, school: School, grade: str) -> dict[int, str]:
    """Return "move up here" for every active learner of a grade at a school (one choice each)."""
    enrollments = Enrollment.objects.filter(
        school=school, status=EnrollmentStatus.ACTIVE, grade=grade
    ).values_list("pk", flat=True)
    return dict.fromkeys(enrollments, RolloverChoice.MOVE_UP)


@transaction.atomic
def rollover_decide(
    *, academic_year: AcademicYear, school: School, actor: User, choices: dict[int, str]
) -> int:
    """Record the school's choices for its learners (enrollment id → choice); a choice equal to
    the default clears the learner's decision. Return how many learners changed."""
    check_rollover_open(academic_year=academic_year)
    if SchoolRollover.objects.filter(academic_year=academic_year, school=school).exists():
        raise ValidationError(_("The school has already moved into this year."))
    enrollments = {
        e.pk: e
        for e in Enrollment.objects.filter(
            school=school, status=EnrollmentStatus.ACTIVE, pk__in=list(choices)
        )
    }
    if len(enrollments) != len(choices):
        raise ValidationError(_("Some learners are no longer at this school."))
    existing = dict(
        RolloverDecision.objects.filter(
            academic_year=academic_year, enrollment_id__in=list(choices)
        ).values_list("enrollment_id", "choice")
    )
    changed = 0
    for pk, choice in choices.items():
        grade = enrollments[pk].grade
        check_choice(grade=grade, choice=choice, school=school)
        before = existing.get(pk, default_choice(grade, school))
        if choice == before:
            continue
        changed += 1
        if choice == default_choice(grade, school):
            RolloverDecision.objects.filter(academic_year=academic_year, enrollment_id=pk).delete()
        else:
            RolloverDecision.objects.update_or_create(
                academic_year=academic_year,
                enrollment_id=pk,
                defaults={"choice": choice, "decided_by": actor},
            )
    return changed


# --- applying it --------------------------------------------------------------------------------


def _grade_up() -> Case:
    return Case(
        *[When(grade=g, then=Value(next_grade(g))) for g in _ORDER if next_grade(g)],
        default=F("grade"),
    )


@transaction.atomic
def _rollover_plan(rows, decisions, *, school: School, actor: User | None, reason: str):
    """Return what the rollover does to each active enrollment (pk, student_id, grade): the counts
    per grade and choice, the audit entries, and the enrollments that graduate and that stay."""
    counts: dict[str, Counter] = defaultdict(Counter)
    audits, graduate_ids, stay_ids = [], [], []
    now = timezone.now()
    for pk, student_id, grade in rows:
        choice = decisions.get(pk, default_choice(grade, school))
        if choice == RolloverChoice.MOVE_UP and not school.teaches(next_grade(grade) or ""):
            # The school stopped teaching the next grade after it chose: the learner finishes.
            choice = RolloverChoice.GRADUATE
        counts[grade][choice] += 1
        if choice == RolloverChoice.GRADUATE:
            graduate_ids.append(pk)
            change = (AuditEntry.Action.STATUS, {"status": ["active", "graduated"]})
        elif choice == RolloverChoice.MOVE_UP:
            change = (AuditEntry.Action.CLASS_EDIT, {"grade": [grade, next_grade(grade)]})
        else:
            stay_ids.append(pk)
            continue
        audits.append(
            AuditLine(student_id, school.pk, actor.pk if actor else None, change[0], change[1],
                      reason, now)
        )  # fmt: skip
    return counts, audits, graduate_ids, stay_ids


def school_rollover_apply(
    *, academic_year: AcademicYear, school: School, actor: User | None
) -> SchoolRollover:
    """Move one school into the new academic year (once): move up, graduate, keep; audit each."""
    School.objects.select_for_update().filter(pk=school.pk).first()  # one rollover at a time
    done = SchoolRollover.objects.filter(academic_year=academic_year, school=school).first()
    if done is not None:
        return done

    if roster_locked(school_id=school.pk):
        raise ValidationError(_("The school's roster waits for certification."))
    active = Enrollment.objects.filter(school=school, status=EnrollmentStatus.ACTIVE)
    rows = list(active.select_for_update().values_list("pk", "student_id", "grade"))
    decisions = dict(
        RolloverDecision.objects.filter(
            academic_year=academic_year, enrollment__school=school
        ).values_list("enrollment_id", "choice")
    )
    reason = f"เลื่อนชั้นปีการศึกษา {academic_year.year}"  # an audit entry, read in Thai
    counts, audits, graduate_ids, stay_ids = _rollover_plan(
        rows, decisions, school=school, actor=actor, reason=reason
    )
    ended_on = academic_year_start(academic_year.year) - timedelta(days=1)
    # Few learners differ from the default, so the statements name those few, not the thousands.
    graduating = set(graduate_ids)
    finals = [*FINAL_GRADES, school.highest_grade]
    kept_finals = [pk for pk, _s, g in rows if g in finals and pk not in graduating]
    # Learners of a grade the school no longer continues (rare) graduate by name.
    others = [pk for pk, _s, g in rows if g not in finals and pk in graduating]
    active.filter(Q(grade__in=finals) | Q(pk__in=others)).exclude(pk__in=kept_finals).update(
        status=EnrollmentStatus.GRADUATED,
        ended_on=ended_on,
        exit_note=reason,
        updated_at=timezone.now(),
    )
    active.exclude(pk__in=stay_ids).update(grade=_grade_up(), updated_at=timezone.now())
    audit_lines_record(audits)
    return SchoolRollover.objects.create(
        academic_year=academic_year,
        school=school,
        applied_by=actor,
        counts={g: dict(c) for g, c in counts.items()},
    )


def rollover_record(*, rollover: SchoolRollover):
    """Sign the school's rollover summary (once)."""
    school = School.objects.select_related("area_office").get(pk=rollover.school_id)
    year = rollover.academic_year.year
    with translation.override("th"):
        rows, total = [], [0, 0, 0, 0]
        for g in _ORDER:
            c = rollover.counts.get(g)
            if not c:
                continue
            line = [c.get(k, 0) for k in RolloverChoice.values]
            rows.append([str(Grade(g).label), sum(line), *line])
            total = [t + n for t, n in zip(total, [sum(line), *line], strict=True)]
        context = {
            "intro": f"โรงเรียนเลื่อนชั้นนักเรียนเข้าสู่ปีการศึกษา {year} ตามรายชื่อที่โรงเรียนตรวจสอบแล้ว",
            "facts": [
                ("โรงเรียน", f"{school.name_th} ({school.code})"),
                ("สังกัด", school.area_office.name_th),
                ("ปีการศึกษา", str(year)),
                ("วันที่ดำเนินการ", thai_date(rollover.applied_at)),
            ],
            "counts": {
                "title": "จำนวนนักเรียนตามชั้นเดิม",
                "headers": ["ชั้นเดิม", "ทั้งหมด", "เลื่อนชั้น", "จบการศึกษา", "ซ้ำชั้น"],
                "rows": rows,
                "total": ["รวม", *total],
            },
            "note": "นักเรียนที่จบการศึกษาจะไม่อยู่ในทะเบียนของโรงเรียนอีก และสามารถรับเข้าที่โรงเรียนใหม่ได้",
        }
    return document_issue(
        step_key=f"rollover:{year}:{school.pk}",
        kind=Kind.ROLLOVER_SUMMARY,
        template="documents/summary_record.html",
        context=context,
        school=school,
        actor=rollover.applied_by,
        actor_role=ROLE_MINISTRY,
        title=f"สรุปการเลื่อนชั้นนักเรียน ปีการศึกษา {year}",
        subject=rollover,
    )


@transaction.atomic
def year_rollover_start(*, academic_year: AcademicYear, actor: User) -> int:
    """Queue the rollover of every school not yet moved into the year; return how many."""
    from .tasks import rollover_school  # census.tasks imports this module

    check_rollover_open(academic_year=academic_year)
    done = SchoolRollover.objects.filter(academic_year=academic_year).values("school_id")
    ids = list(
        School.objects.open().exclude(pk__in=done).order_by("pk").values_list("pk", flat=True)
    )
    transaction.on_commit(
        lambda: [rollover_school.delay(academic_year.pk, pk, actor.pk) for pk in ids]
    )
    return len(ids)


def annotate_years(years: list[AcademicYear]) -> None:
    """Give each year its rollover progress for the ministry's calendar (two queries)."""
    done = dict(
        SchoolRollover.objects.filter(academic_year__in=years)
        .values_list("academic_year")
        .annotate(n=Count("pk"))
        .values_list("academic_year", "n")
    )
    schools = School.objects.open().count()
    for year in years:
        year.rollover_done = done.get(year.pk, 0)
        year.rollover_schools = schools
        year.rollover_shown = True
        try:
            check_rollover_open(academic_year=year)
        except ValidationError as exc:
            year.rollover_open, year.rollover_reason = False, " ".join(exc.messages)
            # A year long begun is history, unless its rollover stopped half-way.
            too_late = exc.error_list[0].code == "too_late"
            year.rollover_shown = not too_late or 0 < year.rollover_done < schools
        else:
            year.rollover_open, year.rollover_reason = True, ""
