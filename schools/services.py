"""Writes to the learner register. Each function is one transaction and leaves an audit entry."""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.outbox import task_send_on_commit

from . import nutrition
from .bulk import insert_rows, select_values, update_rows
from .checks import check_birth_date, check_grade_taught, check_reason, image_type, is_finite
from .identifiers import parse_citizen_id, parse_gcode
from .models import (
    AuditEntry,
    Enrollment,
    EnrollmentStatus,
    IssuedGCode,
    Measurement,
    MeasurementUpload,
    QueryExplanation,
    School,
    Sex,
    Student,
    StudentDocument,
)
from .uploads import HEIGHT_RANGE, WEIGHT_RANGE, Parsed, UploadError, parse_measurements, read_table


def audit_record(
    *,
    student: Student,
    action: str,
    actor: User | None,
    school: School | None = None,
    changes: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """Write one audit entry for a change to a learner or an enrollment."""
    return AuditEntry.objects.create(
        student=student,
        school=school,
        actor=actor,
        action=action,
        changes=changes or {},
        reason=reason,
    )


class AuditLine(NamedTuple):
    """One audit entry written in bulk (audit_lines_record): a change to a learner or an
    enrollment, with the ids of who and where."""

    student_id: int
    school_id: int | None
    actor_id: int | None
    action: str
    changes: dict
    reason: str
    created_at: datetime


def audit_lines_record(lines: Sequence[AuditLine]) -> int:
    """Write many audit entries at once (COPY on PostgreSQL) in the caller's transaction; return
    how many."""
    return insert_rows(AuditEntry, AUDIT_LINE_FIELDS, lines)


AUDIT_LINE_FIELDS = ("student", "school", "actor", "action", "changes", "reason", "created_at")


# Whether a school's roster is frozen is the count's to say (a confirmed round waits for its
# director); the roster may not import the census, so census.apps registers its check here.
_roster_lock_checks: list[Callable[..., bool]] = []


def roster_lock_check_register(check: Callable[..., bool]) -> None:
    """Add a check(*, school_id) returning whether a school's roster is frozen (once: registering
    it again changes nothing)."""
    if check not in _roster_lock_checks:
        _roster_lock_checks.append(check)


def check_roster_open(school: School) -> None:
    """Refuse a change while the school's confirmed data waits for the director's decision."""
    if any(check(school_id=school.pk) for check in _roster_lock_checks):
        raise ValidationError(
            _(
                "The data of %(school)s is confirmed and waits for its director: changes wait until the director certifies or sends it back."
            )
            % {"school": school.name_th},
            code="roster_locked",
        )


def _active_elsewhere_error(enrollment: Enrollment) -> ValidationError:
    school = enrollment.school
    return ValidationError(
        _("This learner is still enrolled at %(school)s (%(code)s): request a transfer in.")
        % {"school": school.name_th, "code": school.code},
        code="active_elsewhere",
    )


@transaction.atomic
def enrollment_start(
    *,
    student: Student,
    school: School,
    grade: str,
    room: int,
    started_on: date,
    actor: User | None,
) -> Enrollment:
    """Enroll a learner at a school; refuse while the learner is active at any school."""
    check_roster_open(school)
    check_grade_taught(school=school, grade=grade)
    current = (
        Enrollment.objects.select_related("school")
        .filter(student=student, status=EnrollmentStatus.ACTIVE)
        .first()
    )
    if current is not None:
        raise _active_elsewhere_error(current)
    try:
        # The savepoint keeps the outer transaction usable when the database refuses the row.
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                student=student, school=school, grade=grade, room=room, started_on=started_on
            )
    except IntegrityError as exc:
        # Another request enrolled the learner between our check and our insert.
        current = (
            Enrollment.objects.select_related("school")
            .filter(student=student, status=EnrollmentStatus.ACTIVE)
            .first()
        )
        if current is None:
            raise
        raise _active_elsewhere_error(current) from exc
    audit_record(
        student=student,
        school=school,
        actor=actor,
        action=AuditEntry.Action.ENROLL,
        changes={"grade": [None, grade], "room": [None, room], "school": [None, school.code]},
    )
    return enrollment


@transaction.atomic
def student_add(
    *,
    school: School,
    actor: User | None,
    citizen_id: str = "",
    gcode: str = "",
    title: str,
    first_name_th: str,
    last_name_th: str,
    first_name_en: str = "",
    last_name_en: str = "",
    sex: str,
    birth_date: date,
    nationality: str = "ไทย",
    grade: str,
    room: int,
    started_on: date,
) -> Enrollment:
    """Add a learner to a school (menu 2.7.3 with a citizen ID, 2.7.4 with a G-code).

    A learner already known nationally is enrolled again only if no school holds them now.
    """
    if bool(citizen_id) == bool(gcode):
        raise ValidationError(
            _("Give a citizen ID or a G-code, not both."),
            code="identifier",
        )
    key = (
        {"citizen_id": parse_citizen_id(citizen_id)}
        if citizen_id
        else {"gcode": parse_gcode(gcode)}
    )
    # Locked: two schools adding the same new code at once would both find no learner yet.
    issuance = _issued_gcode(key["gcode"]) if gcode else None
    student = Student.objects.select_for_update().filter(**key).first()
    if student is None:
        student = Student.objects.create(
            **key,
            title=title,
            first_name_th=first_name_th.strip(),
            last_name_th=last_name_th.strip(),
            first_name_en=first_name_en.strip(),
            last_name_en=last_name_en.strip(),
            sex=sex,
            birth_date=birth_date,
            nationality=nationality,
        )
        audit_record(student=student, school=school, actor=actor, action=AuditEntry.Action.ADD)
    if issuance is not None and issuance.student_id is None:
        issuance.student = student
        issuance.save(update_fields=["student"])
        if issuance.evidence_id:
            StudentDocument.objects.filter(pk=issuance.evidence_id, student=None).update(
                student=student
            )
    return enrollment_start(
        student=student, school=school, grade=grade, room=room, started_on=started_on, actor=actor
    )


GCODE_NOT_ISSUED = "gcode_not_issued"


def _issued_gcode(code: str) -> IssuedGCode:
    issuance = IssuedGCode.objects.select_for_update().filter(gcode=code).first()
    if issuance is None:
        raise gcode_not_issued_error(code)
    return issuance


def gcode_not_issued_error(code: str) -> ValidationError:
    """Return the refusal of a G-code whose issuance is not recorded (menu 2.7.4, roster files)."""
    return ValidationError(
        _(
            "No issuance of the G-code %(code)s is recorded: ask the area office for a G-code "
            "with the G-code request, or ask it to record a code the national G-code system "
            "issued."
        )
        % {"code": code},
        code=GCODE_NOT_ISSUED,
    )


@transaction.atomic
def gcode_register(
    *,
    gcode: str,
    school: School,
    actor: User | None,
    source: str,
    learner_name: str = "",
    evidence=None,
    request_key: str = "",
) -> IssuedGCode:
    """Record a G-code as issued for a school's learner (a national one needs its evidence)."""
    code = parse_gcode(gcode)
    learner_name = learner_name.strip()[:200]
    if source == IssuedGCode.Source.NATIONAL:
        errors = {}
        if not learner_name:
            errors["learner_name"] = _("Give the learner's name as the issuance shows it.")
        if not evidence:
            errors["evidence"] = _("Attach the evidence of the national issuance.")
        if errors:
            raise ValidationError(errors)
    already = ValidationError(
        {"gcode": _("The G-code %(code)s is already recorded.") % {"code": code}},
        code="exists",
    )
    if IssuedGCode.objects.filter(gcode=code).exists():
        raise already
    document = None
    if evidence:
        document = student_document_upload(
            school=school, actor=actor, uploaded_file=evidence,
            kind=StudentDocument.Kind.OTHER, description=code,
            request_key=f"{IssuedGCode._meta.label_lower}:{code}",
        )  # fmt: skip
    try:
        # The savepoint keeps the outer transaction usable when another request recorded it first.
        with transaction.atomic():
            return IssuedGCode.objects.create(
                gcode=code, source=source, school=school, learner_name=learner_name,
                request_key=request_key, evidence=document, registered_by=actor,
            )  # fmt: skip
    except IntegrityError as exc:
        raise already from exc


# --- roster edits (menus 2.7.5, 2.7.7, 2.7.8) ------------------------------------------------


def _not_active_here() -> ValidationError:
    return ValidationError(
        _("This learner is not enrolled at this school."),
        code="not_active_here",
    )


def _lock_active(enrollment: Enrollment) -> Enrollment:
    locked = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
    if locked.status != EnrollmentStatus.ACTIVE:
        raise _not_active_here()
    return locked


@transaction.atomic
def enrollment_transfer_out(
    *,
    enrollment: Enrollment,
    actor: User,
    on: date,
    destination_school: School | None = None,
    destination_note: str = "",
) -> Enrollment:
    """End an enrollment because the learner moved to another school (menu 2.7.5); nothing is deleted."""
    check_roster_open(enrollment.school)
    enrollment = _lock_active(enrollment)
    destination_note = destination_note.strip()
    if destination_school is None and not destination_note:
        raise ValidationError(_("Name the school the learner moves to."), code="destination")
    if destination_school is not None and destination_school.pk == enrollment.school_id:
        raise ValidationError(
            _("The destination must be another school."),
            code="destination",
        )
    if on < enrollment.started_on or on > timezone.localdate():
        raise ValidationError(
            _("The transfer date must fall between the start of the enrollment and today."),
            code="date",
        )
    enrollment.status = EnrollmentStatus.TRANSFERRED_OUT
    enrollment.ended_on = on
    enrollment.exit_school = destination_school
    enrollment.exit_note = destination_note
    enrollment.save(update_fields=["status", "ended_on", "exit_school", "exit_note", "updated_at"])
    audit_record(
        student=enrollment.student,
        school=enrollment.school,
        actor=actor,
        action=AuditEntry.Action.TRANSFER_OUT,
        changes={
            "status": [EnrollmentStatus.ACTIVE, EnrollmentStatus.TRANSFERRED_OUT],
            "destination": [
                None,
                destination_school.code if destination_school else destination_note,
            ],
            "ended_on": [None, on.isoformat()],
        },
    )
    return enrollment


@transaction.atomic
def enrollments_change_class(
    *,
    school: School,
    actor: User,
    enrollment_ids: list[int],
    grade: str | None = None,
    room: int | None = None,
    reason: str = "",
) -> int:
    """Move one learner or many to a grade and/or room (menu 2.7.7); return how many changed."""
    check_roster_open(school)
    if grade is None and room is None:
        raise ValidationError(_("Choose a new grade or room."), code="empty")
    if grade is not None:
        check_grade_taught(school=school, grade=grade)
    enrollments = list(
        Enrollment.objects.select_for_update()
        .filter(pk__in=enrollment_ids, school=school, status=EnrollmentStatus.ACTIVE)
        .order_by("pk")
    )
    if len(enrollments) != len(set(enrollment_ids)):
        raise _not_active_here()
    changed, entries = [], []
    now = timezone.now()
    actor_id = actor.pk if actor else None
    for enrollment in enrollments:
        changes = {}
        if grade is not None and enrollment.grade != grade:
            changes["grade"] = [enrollment.grade, grade]
            enrollment.grade = grade
        if room is not None and enrollment.room != room:
            changes["room"] = [enrollment.room, room]
            enrollment.room = room
        if changes:
            changed.append(enrollment)
            entries.append(
                AuditLine(enrollment.student_id, school.pk, actor_id, AuditEntry.Action.CLASS_EDIT,
                          changes, reason, now)
            )  # fmt: skip
    update_rows(
        Enrollment, ("grade", "room", "updated_at"), [(e.pk, e.grade, e.room, now) for e in changed]
    )
    audit_lines_record(entries)
    return len(changed)


NAME_FIELDS = ("title", "first_name_th", "last_name_th", "first_name_en", "last_name_en")


@transaction.atomic
def student_rename(
    *,
    student: Student,
    school: School,
    actor: User,
    reason: str = "",
    **names: str,
) -> Student:
    """Change a learner's title and names, Thai and English (menu 2.7.8); no approval needed."""
    check_roster_open(school)
    if not Enrollment.objects.filter(
        student=student, school=school, status=EnrollmentStatus.ACTIVE
    ).exists():
        raise _not_active_here()
    unknown = set(names) - set(NAME_FIELDS)
    if unknown:
        raise TypeError(f"unknown name fields: {sorted(unknown)}")
    student = Student.objects.select_for_update().get(pk=student.pk)
    changes = {}
    for name, value in names.items():
        value = (value or "").strip()
        if name in ("first_name_th", "last_name_th") and not value:
            raise ValidationError(
                _("The Thai first and last names are required."),
                code="required",
            )
        if getattr(student, name) != value:
            changes[name] = [getattr(student, name), value]
            setattr(student, name, value)
    if changes:
        student.save(update_fields=[*changes, "updated_at"])
        audit_record(
            student=student,
            school=school,
            actor=actor,
            action=AuditEntry.Action.NAME_EDIT,
            changes=changes,
            reason=reason,
        )
    return student


@transaction.atomic
def student_details_correct(
    *,
    student: Student,
    school: School,
    actor: User,
    sex: str,
    birth_date: date,
    reason: str,
) -> Student:
    """Correct a learner's sex or birth date, typed wrong when they were added; the nutrition
    status of each of their measurements is computed again with them, in the same transaction."""
    check_roster_open(school)
    reason = check_reason(reason)
    if sex not in Sex.values:
        raise ValidationError({"sex": _("Choose the learner's sex.")}, code="sex")
    check_birth_date(birth_date)
    if not Enrollment.objects.filter(
        student=student, school=school, status=EnrollmentStatus.ACTIVE
    ).exists():
        raise _not_active_here()
    student = Student.objects.select_for_update().get(pk=student.pk)
    changes = {}
    if student.sex != sex:
        changes["sex"] = [student.sex, sex]
        student.sex = sex
    if student.birth_date != birth_date:
        changes["birth_date"] = [student.birth_date.isoformat(), birth_date.isoformat()]
        student.birth_date = birth_date
    if not changes:
        return student
    student.save(update_fields=[*changes, "updated_at"])
    audit_record(
        student=student,
        school=school,
        actor=actor,
        action=AuditEntry.Action.DETAILS_EDIT,
        changes=changes,
        reason=reason,
    )
    measurement_statuses_refresh(measurements=Measurement.objects.filter(student=student))
    return student


# --- weight and height (menu 3.1.1) ----------------------------------------------------------


class MeasurementEntry(NamedTuple):
    """One learner's weight and height on a day, as a file or form gives them (a tuple: a school's
    file makes thousands, each built and read in a fraction of a frozen dataclass's time)."""

    student_id: int
    measured_on: date
    weight_kg: Decimal
    height_cm: Decimal


@dataclass
class MeasurementResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _weight_ok(weight_kg: Decimal) -> bool:
    # A NaN is neither inside nor outside a range: comparing with it raises, so it is refused first.
    return is_finite(weight_kg) and WEIGHT_RANGE[0] <= weight_kg <= WEIGHT_RANGE[1]


def _height_ok(height_cm: Decimal) -> bool:
    return is_finite(height_cm) and HEIGHT_RANGE[0] <= height_cm <= HEIGHT_RANGE[1]


def check_measurement(
    *, measured_on: date, weight_kg: Decimal, height_cm: Decimal, today: date | None = None
) -> None:
    """Refuse a weight, height or date no person could have (after ``today``, by default the
    date in Bangkok now); raise ValidationError."""
    errors = {}
    if not _weight_ok(weight_kg):
        errors["weight_kg"] = _("The weight must be between 1 and 200 kg.")
    if not _height_ok(height_cm):
        errors["height_cm"] = _("The height must be between 30 and 250 cm.")
    if measured_on > (today or timezone.localdate()):
        errors["measured_on"] = _("The date measured is in the future.")
    if errors:
        raise ValidationError(errors)


def _check_entries(entries: list[MeasurementEntry], today: date) -> None:
    """Check every entry as check_measurement does, each distinct weight, height and date once (a
    school's file repeats a few hundred values); raise the first refused entry's errors."""
    try:
        fine = (
            all(map(_weight_ok, {e.weight_kg for e in entries}))
            and all(map(_height_ok, {e.height_cm for e in entries}))
            and all(day <= today for day in {e.measured_on for e in entries})
        )
    except TypeError:  # a signalling NaN has no hash: the entries are checked one by one
        fine = False
    if not fine:
        for e in entries:
            check_measurement(
                measured_on=e.measured_on, weight_kg=e.weight_kg, height_cm=e.height_cm, today=today
            )


def _measurements_found(found: QuerySet, days: set[date], student_ids: set[int]) -> dict:
    """Return the measurements of the learners on the days, by (learner, day): (pk, weight,
    height)."""
    if len(days) == 1:  # a file measured on one day: its date is known, not read for every row
        (day,) = days
        return {
            (student_id, day): (pk, weight_kg, height_cm)
            for pk, student_id, weight_kg, height_cm in select_values(
                found.values_list("pk", "student_id", "weight_kg", "height_cm")
            )
            if student_id in student_ids
        }
    return {
        (student_id, measured_on): (pk, weight_kg, height_cm)
        for pk, student_id, measured_on, weight_kg, height_cm in select_values(
            found.values_list("pk", "student_id", "measured_on", "weight_kg", "height_cm")
        )
        if student_id in student_ids
    }


@transaction.atomic
def measurements_record(
    *,
    school: School,
    actor: User | None,
    entries: list[MeasurementEntry],
    source: str,
) -> MeasurementResult:
    """Save weights and heights of the school's learners in bulk; a repeated entry changes nothing."""
    check_roster_open(school)
    # Join on the school's roster rather than pass thousands of ids: one short query each.
    roster = Enrollment.objects.filter(school=school, status=EnrollmentStatus.ACTIVE)
    existing = _measurements_existing(roster=roster, entries=entries)
    _check_entries(entries, timezone.localdate())
    changed = [
        (e, current)
        for e in entries
        if (current := existing.get((e.student_id, e.measured_on))) is None
        or current[1] != e.weight_kg
        or current[2] != e.height_cm
    ]
    to_create, to_update, audit = _measurement_rows(
        school=school, actor=actor, source=source, roster=roster, changed=changed
    )
    _measurement_rows_write(to_create=to_create, to_update=to_update, audit=audit)
    return MeasurementResult(
        created=len(to_create), updated=len(to_update), unchanged=len(entries) - len(changed)
    )


def _measurements_existing(
    *, roster: QuerySet[Enrollment], entries: list[MeasurementEntry]
) -> dict[tuple[int, date], tuple]:
    """Return the measurements the entries already have, by (learner, day), locked when some will
    change; refuse an entry for a learner not active on the roster."""
    student_ids = {e.student_id for e in entries}
    days = {e.measured_on for e in entries}
    # Unordered: the rows go into a dict (the model's ordering sorted every row of the file).
    found = Measurement.objects.filter(
        student__in=roster.values("student_id"), measured_on__in=days
    ).order_by()
    existing = _measurements_found(found, days, student_ids)
    # The rows are locked, and read again, only when some will change: on PostgreSQL a row lock is
    # a write, flushed at commit, and a school sending the same file again writes nothing. Not
    # locked, an unchanged file is as if recorded just before a change it did not see.
    if connection.features.has_select_for_update and any(
        (current := existing.get((e.student_id, e.measured_on))) is not None
        and (current[1] != e.weight_kg or current[2] != e.height_cm)
        for e in entries
    ):
        existing = _measurements_found(found.select_for_update(of=("self",)), days, student_ids)
    # A learner with a measurement found above is on the roster (the query joins it): the roster
    # is read only for the others (a file measured on a new day, learners measured for the first
    # time), not again for a file uploaded twice.
    unproven = student_ids - {student_id for student_id, _day in existing}
    if unproven and unproven - set(roster.values_list("student_id", flat=True)):
        raise _not_active_here()
    return existing


def _measurement_rows(
    *,
    school: School,
    actor: User | None,
    source: str,
    roster: QuerySet[Enrollment],
    changed: list[tuple[MeasurementEntry, tuple | None]],
) -> tuple[list[tuple], list[tuple], list[AuditLine]]:
    """Return the rows to create, the rows to update and the audit lines of the changed entries,
    each with its nutrition status."""
    now = timezone.now()
    actor_id = actor.pk if actor else None
    to_create, to_update, audit = [], [], []
    action, school_id = AuditEntry.Action.MEASURE, school.pk
    iso = {}  # the date is the key: it never changes
    # The nutrition status is computed with the figures, from the learner's sex and birth date:
    # one query over the roster, and none when nothing changes.
    # Each birth date converted once (select_values), not once per learner.
    people = (
        {
            student_id: (sex, birth_date)
            for student_id, sex, birth_date in select_values(
                roster.order_by().values_list("student_id", "student__sex", "student__birth_date")
            )
        }
        if changed
        else {}
    )
    reference = nutrition.reference()
    for e, current in changed:
        sex, birth_date = people.get(e.student_id, (None, None))
        status = nutrition.assess(
            sex=sex,
            birth_date=birth_date,
            measured_on=e.measured_on,
            weight_kg=e.weight_kg,
            height_cm=e.height_cm,
            ref=reference,
        ).values()
        if current is None:
            # A new measurement row is its own record of who, when and what (recorded_by,
            # created_at, source); rows are never deleted, so only a change needs an audit entry.
            to_create.append(
                (e.student_id, e.measured_on, e.weight_kg, e.height_cm, source, actor_id, now)
                + status
            )
        else:
            day = iso.setdefault(e.measured_on, [e.measured_on.isoformat()] * 2)
            changes = {
                "measured_on": day,
                "weight_kg": [str(current[1]), str(e.weight_kg)],
                "height_cm": [str(current[2]), str(e.height_cm)],
            }
            audit.append(AuditLine(e.student_id, school_id, actor_id, action, changes, "", now))
            to_update.append((current[0], e.weight_kg, e.height_cm, source, actor_id) + status)
    return to_create, to_update, audit


def _measurement_rows_write(
    *, to_create: list[tuple], to_update: list[tuple], audit: list[AuditLine]
) -> None:
    """Insert the new measurements, update the changed ones and write their audit lines."""
    insert_rows(
        Measurement,
        (
            "student",
            "measured_on",
            "weight_kg",
            "height_cm",
            "source",
            "recorded_by",
            "created_at",
            *nutrition.Status.FIELDS,
        ),
        to_create,
    )
    update_rows(
        Measurement,
        ("weight_kg", "height_cm", "source", "recorded_by", *nutrition.Status.FIELDS),
        to_update,
    )
    audit_lines_record(audit)


def _stale_statuses(rows, reference) -> list[tuple]:
    """Return (pk, *status values) for the rows whose stored status is not the one their figures
    and learner give now; each row is (pk, *nutrition.STATUS_INPUTS, *stored status values)."""
    width = len(nutrition.STATUS_INPUTS)
    stale = []
    for pk, *row in rows:
        values = nutrition.status_values(row[:width], reference)
        if tuple(row[width:]) != values:
            stale.append((pk, *values))
    return stale


def measurement_statuses_refresh(*, measurements: QuerySet[Measurement]) -> int:
    """Compute again the nutrition status of the measurements given and write those that changed
    (the learner's sex or birth date was corrected, or the reference is new): one read, one bulk
    write; return how many were written."""
    rows = select_values(
        measurements.order_by().values_list(
            "pk", *nutrition.STATUS_INPUTS, *nutrition.Status.FIELDS
        )
    )
    return update_rows(
        Measurement, nutrition.Status.FIELDS, _stale_statuses(rows, nutrition.reference())
    )


def measurement_statuses_freeze(*, school_id: int, on: date) -> int:
    """Bring up to date the status of each learner's latest measurement on or before ``on``, for
    the learners enrolled at the school that day: the rows a certified snapshot copies. One read of
    their measurements up to that day and one bulk write of the stale; return how many."""
    rows = select_values(
        Measurement.objects.filter(
            Q(student__enrollments__ended_on__isnull=True)
            | Q(student__enrollments__ended_on__gt=on),
            student__enrollments__school_id=school_id,
            student__enrollments__started_on__lte=on,
            measured_on__lte=on,
        )
        .order_by("student_id", "measured_on", "pk")
        .values_list("student_id", "pk", *nutrition.STATUS_INPUTS, *nutrition.Status.FIELDS)
    )
    latest = {row[0]: row[1:] for row in rows}  # in date order: the last one stays
    return update_rows(
        Measurement,
        nutrition.Status.FIELDS,
        _stale_statuses(latest.values(), nutrition.reference()),
    )


def measurement_entries_of(
    *, school: School, parsed: Parsed
) -> tuple[list[MeasurementEntry], list[dict]]:
    """Match checked weight and height rows (a file's, an API call's) to the school's learners by
    citizen ID or G-code; return the entries and every row's error, in line order."""
    ids = {r.identifier for r in parsed.rows}
    by_identifier = {}
    for student_id, citizen_id, gcode in (
        Enrollment.objects.filter(school=school, status=EnrollmentStatus.ACTIVE)
        .filter(Q(student__citizen_id__in=ids) | Q(student__gcode__in=ids))
        .values_list("student_id", "student__citizen_id", "student__gcode")
    ):
        by_identifier[citizen_id or gcode] = student_id
    errors = list(parsed.errors)
    entries = []
    for row in parsed.rows:
        student_id = by_identifier.get(row.identifier)
        if student_id is None:
            errors.append(
                {
                    "line": row.line,
                    "message": _("No learner with this ID is enrolled at the school."),
                }
            )
            continue
        entries.append(MeasurementEntry(student_id, row.measured_on, row.weight_kg, row.height_cm))
    errors.sort(key=lambda e: e["line"])
    return entries, errors


@transaction.atomic
def measurement_upload_start(*, school: School, actor: User, uploaded_file) -> MeasurementUpload:
    """Store an uploaded weight and height file; process it now, or in Celery when it is large."""
    data = read_upload(uploaded_file, limit=settings.MEASUREMENT_UPLOAD_MAX_BYTES)

    upload = MeasurementUpload(
        school=school,
        uploaded_by=actor,
        original_name=uploaded_file.name[:200],
        sha256=hashlib.sha256(data).hexdigest(),
    )
    try:
        upload.total_rows = max(len(read_table(data, uploaded_file.name)) - 1, 0)
    except UploadError as exc:
        upload.status = MeasurementUpload.Status.REJECTED
        upload.errors = [{"line": 0, "message": str(exc)}]
    upload.file.save(
        f"{upload.public_id}{_suffix(uploaded_file.name)}", ContentFile(data), save=False
    )
    upload.save()
    if upload.status == MeasurementUpload.Status.REJECTED:
        return upload
    if upload.total_rows >= settings.MEASUREMENT_UPLOAD_ASYNC_ROWS:
        from .tasks import process_measurement_upload  # schools.tasks imports this module

        task_send_on_commit(process_measurement_upload, upload.pk)
        return upload
    return measurement_upload_process(upload=upload)


def measurement_upload_process(*, upload: MeasurementUpload) -> MeasurementUpload:
    """Check every row of an uploaded file, then save all rows in one transaction or none.

    Only the rows and the DONE mark share a transaction: the progress is committed as it goes (in
    Celery), so the page that polls it sees it move."""
    upload = MeasurementUpload.objects.select_related("school").get(pk=upload.pk)
    if upload.finished:
        return upload  # a retried task finds the work done
    _progress(upload, status=MeasurementUpload.Status.RUNNING, processed_rows=0)
    with upload.file.open("rb") as handle:
        data = handle.read()
    try:
        parsed = parse_measurements(data, upload.original_name)
    except UploadError as exc:
        return _finish(
            upload, MeasurementUpload.Status.REJECTED, errors=[{"line": 0, "message": str(exc)}]
        )
    _progress(upload, processed_rows=len(parsed.rows) // 2)
    entries, errors = measurement_entries_of(school=upload.school, parsed=parsed)
    if errors:
        return _finish(upload, MeasurementUpload.Status.REJECTED, errors=errors)
    try:
        with transaction.atomic():
            result = measurements_record(
                school=upload.school,
                actor=upload.uploaded_by,
                entries=entries,
                source=Measurement.Source.UPLOAD,
            )
            return _finish(
                upload,
                MeasurementUpload.Status.DONE,
                created_count=result.created,
                updated_count=result.updated,
                unchanged_count=result.unchanged,
                processed_rows=upload.total_rows,
            )
    except ValidationError as exc:
        # The roster changed between the check and the write (a learner moved out): save nothing.
        return _finish(
            upload,
            MeasurementUpload.Status.REJECTED,
            errors=[{"line": 0, "message": m} for m in exc.messages],
        )


def measurement_upload_fail(*, upload: MeasurementUpload, reason: str) -> MeasurementUpload:
    """Mark an upload that could not be processed; nothing of it was saved."""
    return _finish(
        upload,
        MeasurementUpload.Status.FAILED,
        errors=[
            {
                "line": 0,
                "message": _("A system error; try again.") + f" ({reason})",
            }
        ],
    )


def _progress(upload: MeasurementUpload, **fields) -> None:
    for name, value in fields.items():
        setattr(upload, name, value)
    MeasurementUpload.objects.filter(pk=upload.pk).update(**fields)


def _finish(upload: MeasurementUpload, status: str, **fields) -> MeasurementUpload:
    _progress(upload, status=status, finished_at=timezone.now(), **fields)
    return upload


# --- evidence documents (menu 2.7.9) ---------------------------------------------------------


def _suffix(name: str) -> str:
    return ".xlsx" if name.lower().endswith(".xlsx") else ".csv"


def read_upload(uploaded_file, *, limit: int) -> bytes:
    """Return an uploaded file's bytes; refuse one over the limit or empty."""
    if uploaded_file.size > limit:
        raise ValidationError(
            _("The file is larger than %(mb)s MB.") % {"mb": round(limit / 1024 / 1024, 1)},
            code="too_large",
        )
    data = uploaded_file.read()
    if not data:
        raise ValidationError(_("The file is empty."), code="empty")
    return data


def sniff_evidence_type(data: bytes) -> tuple[str, str]:
    """Return the content type and suffix of a PDF, JPEG or PNG from its bytes; refuse anything else."""
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]:
        return "application/pdf", ".pdf"
    kind = image_type(data)
    if kind is not None:
        return kind
    raise ValidationError(
        _("Only PDF, JPEG or PNG files are accepted (checked from the file's content)."),
        code="file_type",
    )


@transaction.atomic
def student_document_upload(
    *,
    school: School,
    actor: User,
    uploaded_file,
    kind: str,
    description: str = "",
    student: Student | None = None,
    request_key: str = "",
) -> StudentDocument:
    """Store a piece of evidence for a learner of the school or for a request."""
    if student is None and not request_key:
        raise TypeError("evidence belongs to a learner or a request")
    # Evidence of a request may concern a learner the school does not hold yet (a transfer in).
    if (
        student is not None
        and not request_key
        and not Enrollment.objects.filter(student=student, school=school).exists()
    ):
        raise _not_active_here()
    data = read_upload(uploaded_file, limit=settings.EVIDENCE_MAX_BYTES)
    content_type, suffix = sniff_evidence_type(data)
    document = StudentDocument(
        school=school,
        student=student,
        request_key=request_key,
        kind=kind,
        description=description.strip()[:200],
        original_name=(uploaded_file.name or "file")[:200],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
    )
    document.file.save(f"{document.public_id}{suffix}", ContentFile(data), save=False)
    document.save()
    if student is not None:
        audit_record(
            student=student,
            school=school,
            actor=actor,
            action=AuditEntry.Action.DOCUMENT,
            changes={
                "document": [None, f"{document.get_kind_display()}: {document.original_name}"]
            },
        )
    return document


# --- query explanations ----------------------------------------------------------------------


@transaction.atomic
def query_explain(
    *, school: School, actor: User, rule: str, subject_key: str, text: str
) -> QueryExplanation:
    """Record (or replace) the school's explanation of a validation query."""
    text = text.strip()
    if len(text) < 5:
        raise ValidationError(
            _("Write an explanation of at least 5 characters."),
            code="short",
        )
    explanation, _created = QueryExplanation.objects.update_or_create(
        school=school,
        rule=rule,
        subject_key=subject_key,
        defaults={"text": text[:500], "explained_by": actor},
    )
    return explanation


# --- decided by approval flows (2.7.6, 2.7.1, ID correction, G-code) ---------------------------


@transaction.atomic
def enrollment_end(
    *, enrollment: Enrollment, actor: User, status: str, on: date, reason: str
) -> Enrollment:
    """End an enrollment as dropped out or removed, once the area office has approved (2.7.6)."""
    if status not in (EnrollmentStatus.DROPPED_OUT, EnrollmentStatus.REMOVED):
        raise ValueError(status)
    check_roster_open(enrollment.school)
    enrollment = _lock_active(enrollment)
    if on < enrollment.started_on:
        raise ValidationError(
            _("The effective date cannot precede the enrollment."),
            code="date",
        )
    enrollment.status, enrollment.ended_on = status, on
    enrollment.save(update_fields=["status", "ended_on", "updated_at"])
    audit_record(
        student=enrollment.student,
        school=enrollment.school,
        actor=actor,
        action=AuditEntry.Action.STATUS,
        changes={"status": [EnrollmentStatus.ACTIVE, status], "ended_on": [None, on.isoformat()]},
        reason=reason,
    )
    return enrollment


@transaction.atomic
def student_citizen_id_change(
    *, student: Student, school: School, actor: User, new_citizen_id: str, reason: str
) -> Student:
    """Give a learner a corrected citizen ID (or one that replaces a G-code, kept in history).

    The new ID is checked again here, inside the transaction: its check digit, and that no other
    learner anywhere holds it."""
    check_roster_open(school)
    new_id = parse_citizen_id(new_citizen_id)
    student = Student.objects.select_for_update().get(pk=student.pk)
    holder = (
        Student.objects.select_for_update().filter(citizen_id=new_id).exclude(pk=student.pk).first()
    )
    if holder is not None:
        raise ValidationError(
            _("This citizen ID already belongs to another learner."),
            code="id_taken",
        )
    if student.citizen_id == new_id:
        return student
    old = student.citizen_id or student.gcode
    student.citizen_id = new_id
    try:
        with transaction.atomic():
            student.save(update_fields=["citizen_id", "updated_at"])
    except IntegrityError as exc:  # taken by a concurrent change
        raise ValidationError(
            _("This citizen ID already belongs to another learner."),
            code="id_taken",
        ) from exc
    audit_record(
        student=student,
        school=school,
        actor=actor,
        action=AuditEntry.Action.ID_CHANGE,
        changes={"citizen_id": [old, new_id]},
        reason=reason,
    )
    return student


@transaction.atomic
def enrollment_move(
    *,
    student: Student,
    from_school: School,
    to_school: School,
    actor: User,
    on: date,
    grade: str,
    room: int,
) -> Enrollment:
    """Move a learner from the releasing school to the receiving one in one transaction: never two
    active enrollments, never none in between (2.7.1 / 2.7.5)."""
    check_roster_open(from_school)
    check_roster_open(to_school)
    check_grade_taught(school=to_school, grade=grade)
    current = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("school")
        .filter(student=student, status=EnrollmentStatus.ACTIVE)
        .first()
    )
    if current is None or current.school_id != from_school.pk:
        raise ValidationError(
            _("The learner is no longer enrolled at the releasing school."),
            code="moved",
        )
    current.status, current.ended_on = EnrollmentStatus.TRANSFERRED_OUT, on
    current.exit_school = to_school
    current.save(update_fields=["status", "ended_on", "exit_school", "updated_at"])
    audit_record(
        student=student,
        school=from_school,
        actor=actor,
        action=AuditEntry.Action.TRANSFER_OUT,
        changes={"status": [EnrollmentStatus.ACTIVE, EnrollmentStatus.TRANSFERRED_OUT],
                 "destination": [None, to_school.code], "ended_on": [None, on.isoformat()]},
    )  # fmt: skip
    enrollment = Enrollment.objects.create(
        student=student, school=to_school, grade=grade, room=room, started_on=on
    )
    audit_record(
        student=student,
        school=to_school,
        actor=actor,
        action=AuditEntry.Action.ENROLL,
        changes={
            "school": [from_school.code, to_school.code],
            "grade": [None, grade],
            "room": [None, room],
        },
    )
    return enrollment
