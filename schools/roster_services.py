"""Apply a roster file: every accepted row in one transaction, with its audit entries, or nothing.

A file uploaded on the pages is kept as a RosterImport: planned at once for its preview, then
applied by a Celery task on request, with its progress on the page of the weight and height upload.
"""

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.outbox import task_send_on_commit

from .bulk import insert_rows, select_in, update_rows, without_gc_pauses
from .identifiers import mask_citizen_id, mask_gcode
from .models import (
    AreaOffice,
    AuditEntry,
    Enrollment,
    EnrollmentStatus,
    IssuedGCode,
    Measurement,
    RosterImport,
    School,
    Student,
    StudentDocument,
)
from .roster_import import Kind, Plan, PlanRow, roster_plan
from .services import (
    NAME_FIELDS,
    AuditLine,
    MeasurementEntry,
    audit_lines_record,
    check_roster_open,
    measurements_record,
    read_upload,
)
from .uploads import UploadError

# Starts a transfer request for a learner active at another school; given by the caller (the
# transfer flow lives above this app).
TransferStarter = Callable[[list[PlanRow], User | None], int]


@dataclass
class RosterImportResult:
    """What applying a roster file did."""

    plan: Plan
    added: int = 0
    enrolled: int = 0
    changed: int = 0
    unchanged: int = 0
    transfers: int = 0
    measured: int = 0
    refused: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def roster_check_schools_open(*, schools: list[School], by_code: bool) -> None:
    """Refuse a school's file while its roster waits for the director (an area file: per row)."""
    if not by_code:
        check_roster_open(schools[0])


@without_gc_pauses()
@transaction.atomic
def roster_import_apply(
    *,
    data: bytes,
    filename: str,
    schools: list[School],
    actor: User | None,
    by_code: bool = False,
    plan: Plan | None = None,
    start_transfers: TransferStarter | None = None,
) -> RosterImportResult:
    """Apply every accepted row of a roster file in one transaction; refused rows are left out,
    and any failure saves nothing. Without a plan made just before, the file is planned here.
    Learners active at another school go to start_transfers (by default the registered one)."""
    roster_check_schools_open(schools=schools, by_code=by_code)
    if plan is None:
        plan = roster_plan(data=data, filename=filename, schools=schools, by_code=by_code)
    _refuse_locked_rows(plan, by_code=by_code)
    result = RosterImportResult(plan=plan, by_kind=plan.counts())
    now = timezone.now()
    actor_id = actor.pk if actor else None
    reason = (_("Roster file: %(name)s") % {"name": filename})[:300]
    audit: list[tuple] = []
    new_rows = plan.of_kind(Kind.NEW)
    _create_students(new_rows, now, actor_id, reason, audit, result)
    _rename_students(plan.of_kind(Kind.NEW, Kind.CHANGES), now, actor_id, reason, audit)
    _enroll(new_rows, now, actor_id, reason, audit, result)
    _change_classes(plan.of_kind(Kind.CHANGES), now, actor_id, reason, audit, result)
    audit_lines_record(audit)
    result.unchanged = len(plan.of_kind(Kind.UNCHANGED))
    result.refused = len(plan.refused)
    _measure(plan, actor, result)
    elsewhere = plan.of_kind(Kind.ELSEWHERE)
    start_transfers = start_transfers or _transfer_starter
    if elsewhere and start_transfers is not None:
        result.transfers = start_transfers(elsewhere, actor)
    return result


def _refuse_locked_rows(plan: Plan, *, by_code: bool) -> None:
    if not by_code:
        return
    locked: dict[int, str | None] = {}
    for row in plan.rows:
        if row.kind == Kind.REFUSED or row.school is None:
            continue
        if row.school.pk not in locked:
            try:
                check_roster_open(row.school)
                locked[row.school.pk] = None
            except ValidationError as exc:
                locked[row.school.pk] = exc.messages[0]
        if locked[row.school.pk]:
            row.kind, row.reasons = Kind.REFUSED, [locked[row.school.pk]]


def _insert(model, fields: tuple[str, ...], rows: list[tuple]) -> None:
    try:
        # The savepoint turns a row another request wrote meanwhile (the same new ID, a learner
        # enrolled elsewhere: both database constraints) into a clear refusal of the whole file.
        with transaction.atomic():
            insert_rows(model, fields, rows)
    except (IntegrityError, connection.Database.IntegrityError) as exc:
        # insert_rows streams with the driver's own cursor: its error is the driver's class.
        raise _roster_changed() from exc


_STUDENT_COLUMNS = (
    "public_id", "citizen_id", "gcode", "title", "first_name_th", "last_name_th",
    "first_name_en", "last_name_en", "sex", "birth_date", "nationality", "created_at",
    "updated_at",
)  # fmt: skip


def _create_students(rows, now, actor_id, reason, audit, result) -> None:
    creating = [r for r in rows if r.student_id is None]
    nationality = Student._meta.get_field("nationality").default
    _insert(
        Student,
        _STUDENT_COLUMNS,
        [
            (uuid.uuid4(), r.row.citizen_id, r.row.gcode, r.row.title, r.row.first_name_th,
             r.row.last_name_th, r.row.first_name_en, r.row.last_name_en, r.row.sex,
             r.row.birth_date, nationality, now, now)
            for r in creating
        ],
    )  # fmt: skip
    keys = _student_keys([r.row.citizen_id for r in creating if r.row.citizen_id], "citizen_id")
    keys.update(_student_keys([r.row.gcode for r in creating if r.row.gcode], "gcode"))
    for plan_row in creating:
        plan_row.student_id = keys[plan_row.row.identifier]
    issued, evidence = [], []
    no_changes: dict = {}  # one object for every row: serialized once
    for plan_row in creating:
        pk = plan_row.student_id
        audit.append(
            AuditLine(
                pk, plan_row.school.pk, actor_id, AuditEntry.Action.ADD, no_changes, reason, now
            )
        )
        if plan_row.issuance_id:
            issued.append((plan_row.issuance_id, pk))
            if plan_row.issuance_evidence_id:
                evidence.append((plan_row.issuance_evidence_id, pk))
    update_rows(IssuedGCode, ("student",), issued)
    # As for one learner added with a G-code: the issuance's evidence becomes the learner's.
    update_rows(StudentDocument, ("student",), evidence)
    result.added = len(creating)


def _student_keys(values: list[str], field_name: str) -> dict[str, int]:
    return dict(select_in(Student.objects.values_list(field_name, "pk"), field_name, values))


def _rename_students(rows, now, actor_id, reason, audit) -> None:
    renamed = [r for r in rows if r.student_id and any(n in r.changes for n in NAME_FIELDS)]
    update_rows(
        Student,
        (*NAME_FIELDS, "updated_at"),
        [(r.student_id, *(getattr(r.row, n) for n in NAME_FIELDS), now) for r in renamed],
    )
    for r in renamed:
        changes = {n: v for n, v in r.changes.items() if n in NAME_FIELDS}
        audit.append(
            AuditLine(r.student_id, r.school.pk, actor_id, AuditEntry.Action.NAME_EDIT, changes,
                      reason, now)
        )  # fmt: skip


def _enroll(rows, now, actor_id, reason, audit, result) -> None:
    _insert(
        Enrollment,
        ("student", "school", "grade", "room", "status", "started_on", "exit_note",
         "created_at", "updated_at"),
        [
            (r.student_id, r.school.pk, r.row.grade, r.row.room, EnrollmentStatus.ACTIVE,
             r.row.started_on, "", now, now)
            for r in rows
        ],
    )  # fmt: skip
    # A class's learners share one changes object: it is serialized once, not once a learner.
    changes_of: dict[tuple, dict] = {}
    for r in rows:
        key = (r.row.grade, r.row.room, r.school.code)
        changes = changes_of.get(key)
        if changes is None:
            changes = changes_of[key] = {
                "grade": [None, r.row.grade],
                "room": [None, r.row.room],
                "school": [None, r.school.code],
            }
        audit.append(
            AuditLine(r.student_id, r.school.pk, actor_id, AuditEntry.Action.ENROLL, changes,
                      reason, now)
        )  # fmt: skip
    result.enrolled = len(rows)


def _change_classes(rows, now, actor_id, reason, audit, result) -> None:
    moved = [r for r in rows if "grade" in r.changes or "room" in r.changes]
    update_rows(
        Enrollment,
        ("grade", "room", "updated_at"),
        [(r.enrollment_id, r.row.grade, r.row.room, now) for r in moved],
    )
    for r in moved:
        changes = {n: v for n, v in r.changes.items() if n in ("grade", "room")}
        audit.append(
            AuditLine(r.student_id, r.school.pk, actor_id, AuditEntry.Action.CLASS_EDIT, changes,
                      reason, now)
        )  # fmt: skip
    result.changed = len(rows)


def _measure(plan: Plan, actor: User | None, result: RosterImportResult) -> None:
    today = timezone.localdate()
    by_school: dict[int, tuple[School, list[MeasurementEntry]]] = {}
    for r in plan.of_kind(Kind.NEW, Kind.CHANGES, Kind.UNCHANGED):
        if r.row.weight_kg is None:
            continue
        entry = MeasurementEntry(r.student_id, today, r.row.weight_kg, r.row.height_cm)
        by_school.setdefault(r.school.pk, (r.school, []))[1].append(entry)
    for school, entries in by_school.values():
        recorded = measurements_record(
            school=school, actor=actor, entries=entries, source=Measurement.Source.UPLOAD
        )
        result.measured += recorded.created + recorded.updated


def _roster_changed() -> ValidationError:
    return ValidationError(
        _(
            "The roster changed while the file was applied (a learner was added or enrolled "
            "elsewhere meanwhile): nothing was saved. Preview the file again."
        ),
        code="roster_changed",
    )


# --- the pages' file: preview, then apply in Celery --------------------------------------------


def _preview_row(row: PlanRow) -> dict:
    source = row.row
    identifier = ""
    if source is not None and source.citizen_id:
        identifier = mask_citizen_id(source.citizen_id)
    elif source is not None and source.gcode:
        identifier = mask_gcode(source.gcode)
    return {
        "line": row.line,
        "kind": row.kind,
        "id": identifier,
        "name": f"{source.title}{source.first_name_th} {source.last_name_th}".strip()
        if source is not None
        else "",
        "school": source.school_code or (row.school.code if row.school else "")
        if source is not None
        else "",
        "grade": source.grade if source is not None else "",
        "room": source.room if source is not None else None,
        "changes": [[name, old, new] for name, (old, new) in row.changes.items()],
        "reasons": row.reasons,
        "holder": f"{row.holder.name_th} ({row.holder.code})" if row.holder else "",
    }


def roster_import_schools(roster_import: RosterImport) -> list[School]:
    """Return the schools a roster file may write to: its school, or its area office's schools."""
    if roster_import.school_id:
        return [roster_import.school]
    return list(School.objects.filter(area_office=roster_import.area_office_id))


@transaction.atomic
def roster_import_start(
    *,
    actor: User,
    uploaded_file,
    school: School | None = None,
    area_office: AreaOffice | None = None,
) -> RosterImport:
    """Keep an uploaded roster file and its preview (each row's kind and reasons); save nothing
    of the roster yet. A file that cannot be read is kept as rejected, with the reason."""
    data = read_upload(uploaded_file, limit=settings.ROSTER_IMPORT_MAX_BYTES)
    roster_import = RosterImport(
        school=school,
        area_office=area_office,
        uploaded_by=actor,
        original_name=uploaded_file.name[:200],
        sha256=hashlib.sha256(data).hexdigest(),
    )
    try:
        plan = roster_plan(
            data=data,
            filename=uploaded_file.name,
            schools=roster_import_schools(roster_import),
            by_code=area_office is not None,
        )
    except UploadError as exc:
        roster_import.status = RosterImport.Status.REJECTED
        roster_import.errors = [{"line": 0, "message": str(exc)}]
        roster_import.finished_at = timezone.now()
    else:
        roster_import.counts = plan.counts()
        roster_import.total_rows = len(plan.rows)
        roster_import.preview = [_preview_row(row) for row in plan.rows]
    suffix = ".xlsx" if data.startswith(b"PK\x03\x04") else ".csv"
    roster_import.file.save(f"{roster_import.public_id}{suffix}", ContentFile(data), save=False)
    roster_import.save()
    return roster_import


@transaction.atomic
def roster_import_queue(*, roster_import: RosterImport, actor: User) -> RosterImport:
    """Ask for a previewed roster file to be applied, by a Celery task once this commits."""
    roster_import = RosterImport.objects.select_for_update().get(pk=roster_import.pk)
    if roster_import.status != RosterImport.Status.PREVIEWED:
        raise ValidationError(_("This file has already been applied or refused."), code="state")
    if roster_import.school_id:
        check_roster_open(roster_import.school)
    if not roster_import.total_rows - roster_import.counts.get(Kind.REFUSED, 0):
        raise ValidationError(_("No row of this file can be applied."), code="nothing")
    roster_import.status = RosterImport.Status.QUEUED
    roster_import.save(update_fields=["status"])
    from .tasks import process_roster_import  # schools.tasks imports this module

    task_send_on_commit(process_roster_import, roster_import.pk)
    return roster_import


def roster_import_process(*, roster_import: RosterImport) -> RosterImport:
    """Plan the kept file again and apply its accepted rows, all in one transaction or none."""
    roster_import = RosterImport.objects.select_related("school", "area_office", "uploaded_by").get(
        pk=roster_import.pk
    )
    if roster_import.status != RosterImport.Status.QUEUED:
        return roster_import  # a retried task finds the work done (or never asked for)
    _progress(roster_import, status=RosterImport.Status.RUNNING, processed_rows=0)
    with roster_import.file.open("rb") as handle:
        data = handle.read()
    schools = roster_import_schools(roster_import)
    by_code = roster_import.area_office_id is not None
    try:
        plan = roster_plan(
            data=data, filename=roster_import.original_name, schools=schools, by_code=by_code
        )
        _progress(roster_import, processed_rows=len(plan.rows) // 2)
        result = roster_import_apply(
            data=data,
            filename=roster_import.original_name,
            schools=schools,
            actor=roster_import.uploaded_by,
            by_code=by_code,
            plan=plan,
        )
    except (UploadError, ValidationError) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        return _finish(
            roster_import,
            RosterImport.Status.REJECTED,
            errors=[{"line": 0, "message": m} for m in messages],
        )
    outcome = {k: v for k, v in asdict(result).items() if isinstance(v, int)}
    return _finish(
        roster_import,
        RosterImport.Status.DONE,
        outcome=outcome,
        processed_rows=roster_import.total_rows,
        preview=[_preview_row(row) for row in result.plan.rows],
        counts=result.plan.counts(),
    )


def roster_import_fail(*, roster_import: RosterImport, reason: str) -> RosterImport:
    """Mark a roster file that could not be applied; nothing of it was saved."""
    return _finish(
        roster_import,
        RosterImport.Status.FAILED,
        errors=[{"line": 0, "message": _("A system error; try again.") + f" ({reason})"}],
    )


def _progress(roster_import: RosterImport, **fields) -> None:
    for name, value in fields.items():
        setattr(roster_import, name, value)
    RosterImport.objects.filter(pk=roster_import.pk).update(**fields)


def _finish(roster_import: RosterImport, status: str, **fields) -> RosterImport:
    _progress(roster_import, status=status, finished_at=timezone.now(), **fields)
    return roster_import


# The transfer flow lives in a higher app: it registers how to start its requests when it loads.
_transfer_starter: TransferStarter | None = None


def roster_transfer_starter_register(starter: TransferStarter | None) -> None:
    """Set the function that turns rows active at another school into transfer requests."""
    global _transfer_starter
    _transfer_starter = starter
