"""Reads of the learner register: the one place that decides joins and aggregates for each list."""

from dataclasses import dataclass, field
from datetime import date as date_type

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .identifiers import THAI_DIGITS
from .models import (
    AuditEntry,
    Enrollment,
    EnrollmentStatus,
    Grade,
    IssuedGCode,
    Measurement,
    School,
    Sex,
    Student,
)
from .nutrition import Band
from .templatetags.thai import thai_date


def roster_for(
    *, school: School, q: str = "", grade: str = "", room: int | None = None
) -> QuerySet[Enrollment]:
    """Return the school's active enrollments with their learners, in grade, room and name order."""
    qs = Enrollment.objects.filter(school=school, status=EnrollmentStatus.ACTIVE).select_related(
        "student"
    )
    if grade:
        qs = qs.filter(grade=grade)
    if room:
        qs = qs.filter(room=room)
    q = (q or "").strip()
    if q:
        digits = q.translate(THAI_DIGITS).replace("-", "").replace(" ", "")
        if digits.isdigit() or (digits[:1].upper() == "G" and digits[1:].isdigit()):
            qs = qs.filter(
                Q(student__citizen_id__startswith=digits)
                | Q(student__gcode__startswith=digits.upper())
            )
        else:
            for word in q.split():
                qs = qs.filter(
                    Q(student__first_name_th__icontains=word)
                    | Q(student__last_name_th__icontains=word)
                    | Q(student__first_name_en__icontains=word)
                    | Q(student__last_name_en__icontains=word)
                )
    return qs.order_by("grade", "room", "student__first_name_th", "student__last_name_th", "pk")


@dataclass
class GradeCount:
    grade: str
    label: str
    male: int = 0
    female: int = 0
    rooms: int = 0

    @property
    def total(self) -> int:
        return self.male + self.female


@dataclass
class GradeSexTable:
    rows: list[GradeCount] = field(default_factory=list)

    @property
    def male(self) -> int:
        return sum(r.male for r in self.rows)

    @property
    def female(self) -> int:
        return sum(r.female for r in self.rows)

    @property
    def total(self) -> int:
        return self.male + self.female

    @property
    def rooms(self) -> int:
        return sum(r.rooms for r in self.rows)


def grade_sex_counts(*, school: School) -> GradeSexTable:
    """Return the school's active learners per grade × sex, with rooms per grade (DMC menu 2.8)."""
    aggregates = (
        Enrollment.objects.filter(school=school, status=EnrollmentStatus.ACTIVE)
        .values("grade")
        .annotate(
            male=Count("pk", filter=Q(student__sex=Sex.MALE)),
            female=Count("pk", filter=Q(student__sex=Sex.FEMALE)),
            rooms=Count("room", distinct=True),
        )
        .order_by("grade")
    )
    labels = dict(Grade.choices)
    return GradeSexTable(
        rows=[
            GradeCount(
                grade=a["grade"],
                label=str(labels[a["grade"]]),
                male=a["male"],
                female=a["female"],
                rooms=a["rooms"],
            )
            for a in aggregates
        ]
    )


# The bands of each indicator, in the order of the Department of Health's tables.
NUTRITION_INDICATORS = (
    (
        "wfh",
        _("Build: weight for height (BMI for age from 5 years)"),
        (Band.THIN, Band.RATHER_THIN, Band.PROPORTIONATE, Band.PLUMP, Band.GETTING_FAT, Band.OBESE),
    ),
    (
        "hfa",
        _("Height for age"),
        (Band.SHORT, Band.RATHER_SHORT, Band.HEIGHT_NORMAL, Band.RATHER_TALL, Band.TALL),
    ),
    (
        "wfa",
        _("Weight for age (up to 10 years)"),
        (
            Band.UNDERWEIGHT,
            Band.RATHER_UNDERWEIGHT,
            Band.WEIGHT_NORMAL,
            Band.RATHER_OVERWEIGHT,
            Band.OVERWEIGHT,
        ),
    ),
)


@dataclass
class BandRow:
    grade: str
    label: str
    counts: list[int]
    no_status: int = 0
    not_measured: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts) + self.no_status + self.not_measured


@dataclass
class BandTable:
    indicator: str
    title: str
    bands: list[tuple[str, str]]
    rows: list[BandRow] = field(default_factory=list)


def nutrition_counts(*, school: School) -> list[BandTable]:
    """Return the school's active learners per grade and band of each indicator, by each one's
    latest measurement (one query; a learner with no status is counted apart, with the not
    measured)."""
    latest = Measurement.objects.filter(student=OuterRef("student_id")).order_by("-measured_on")
    # The three bands of the latest measurement in one correlated subquery, not three.
    bands = latest.annotate(
        bands=Concat(
            "wfh_band",
            Value("|"),
            "hfa_band",
            Value("|"),
            "wfa_band",
            Value("|"),
            "nutrition_issue",
        )
    ).values("bands")[:1]
    aggregates = (
        Enrollment.objects.filter(school=school, status=EnrollmentStatus.ACTIVE)
        .annotate(bands=Subquery(bands))
        .values("grade", "bands")
        .annotate(n=Count("pk"))
        .order_by()
    )
    labels = dict(Grade.choices)
    tables = [
        BandTable(indicator=key, title=str(title), bands=[(b.value, str(b.label)) for b in order])
        for key, title, order in NUTRITION_INDICATORS
    ]
    positions = [{code: n for n, (code, _label) in enumerate(t.bands)} for t in tables]
    rows: dict[tuple[int, str], BandRow] = {}
    for a in aggregates:
        found = a["bands"].split("|") if a["bands"] else None
        for i, table in enumerate(tables):
            row = rows.get((i, a["grade"]))
            if row is None:
                row = rows[(i, a["grade"])] = BandRow(
                    grade=a["grade"],
                    label=str(labels[a["grade"]]),
                    counts=[0] * len(table.bands),
                )
                table.rows.append(row)
            if found is None:
                row.not_measured += a["n"]
            elif (column := positions[i].get(found[i])) is not None:
                row.counts[column] += a["n"]
            else:  # no status, or a band this table does not show
                row.no_status += a["n"]
    for table in tables:
        table.rows.sort(key=lambda r: r.grade)
    return tables


def rooms_of(*, school: School) -> list[int]:
    """Return the room numbers in use at the school."""
    return list(
        Enrollment.objects.filter(school=school, status=EnrollmentStatus.ACTIVE)
        .values_list("room", flat=True)
        .distinct()
        .order_by("room")
    )


def _change_labels() -> dict:
    _ = gettext  # in the language of this request, not lazy
    return {
        "grade": _("Grade"), "room": _("Room"), "school": _("School"), "status": _("Status"),
        "ended_on": _("To"), "destination": _("Destination"), "title": _("Name prefix"),
        "first_name_th": _("First name (Thai)"), "last_name_th": _("Last name (Thai)"),
        "first_name_en": _("First name (English)"), "last_name_en": _("Last name (English)"),
        "measured_on": _("Measured on"), "weight_kg": _("Weight (kg)"), "height_cm": _("Height (cm)"),
        "citizen_id": _("Citizen ID"), "document": _("Document"),
    }  # fmt: skip


def _change_value(field: str, value):
    if value in (None, ""):
        return "—"
    if field == "grade":
        return str(dict(Grade.choices).get(value, value))
    if field == "status":
        return str(dict(EnrollmentStatus.choices).get(value, value))
    if field in ("ended_on", "measured_on"):
        try:
            return thai_date(date_type.fromisoformat(value))
        except (TypeError, ValueError):
            return value
    return value


def audit_changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """Return an audit entry's changes as a person reads them: (what, before, after)."""
    labels = _change_labels()
    return [
        (str(labels.get(field, field)), _change_value(field, old), _change_value(field, new))
        for field, (old, new) in entry.changes.items()
    ]


def student_detail(*, student: Student) -> dict:
    """Return what the learner page shows: enrollments, measurements and the audit trail."""
    return {
        "enrollments": list(
            student.enrollments.select_related("school").order_by("-started_on", "-pk")
        ),
        "measurements": list(student.measurements.select_related("recorded_by")[:10]),
        "audit": [
            (entry, audit_changes(entry))
            for entry in AuditEntry.objects.filter(student=student).select_related(
                "actor", "school"
            )[:50]
        ],
        "documents": list(student.documents.select_related("uploaded_by")[:20]),
    }


def room_measurements(*, school: School, grade: str, room: int) -> list[dict]:
    """Return a room's learners with their latest weight and height (two queries)."""
    enrollments = list(
        Enrollment.objects.filter(
            school=school, status=EnrollmentStatus.ACTIVE, grade=grade, room=room
        )
        .select_related("student")
        .order_by("student__first_name_th", "student__last_name_th", "pk")
    )
    latest = {}
    for m in Measurement.objects.filter(
        student_id__in=[e.student_id for e in enrollments]
    ).order_by("student_id", "measured_on"):
        latest[m.student_id] = m
    return [{"enrollment": e, "latest": latest.get(e.student_id)} for e in enrollments]


def school_uploads(*, school: School) -> QuerySet:
    """Return the school's latest weight and height uploads."""
    return school.measurement_uploads.select_related("uploaded_by")[:10]


def issued_gcodes_of(*, school: School, limit: int = 100) -> list[IssuedGCode]:
    """Return the G-codes recorded as issued for a school, newest first, with who holds them."""
    return list(
        IssuedGCode.objects.filter(school=school).select_related(
            "student", "evidence", "registered_by"
        )[:limit]
    )


def gcode_taken(code: str) -> bool:
    """Return whether a G-code was issued already or is held by a learner."""
    return (
        IssuedGCode.objects.filter(gcode=code).exists()
        or Student.objects.filter(gcode=code).exists()
    )
