"""Writes to the building register and each school's way through a survey year:
open → enter (staff) → submit → certify (director) or send back, or missed at the window's close.
The survey window is checked here, on the server."""

import hashlib
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.mail import mail_compose
from accounts.models import User
from accounts.selectors import school_emails, schools_emails
from accounts.tasks import mail_queue
from census.services import Window
from documents import roles
from documents.models import Kind, SignedDocument
from documents.services import document_issue
from schools.checks import check_reason, image_type
from schools.models import AreaOffice, School
from schools.templatetags.thai import be_date, in_thai

from . import records, selectors
from .models import (
    SQM_PER_NGAN,
    SQM_PER_RAI,
    SQM_PER_SQWA,
    Building,
    BuildingPhoto,
    SchoolLand,
    SchoolSurvey,
    SurveyReminder,
    SurveyYear,
)

DEFAULT_OPENS = (10, 1, time(0, 0))  # 1 October, 00:00
DEFAULT_CLOSES = (10, 30, time(16, 30))  # 30 October, 16:30
PHOTO_MAX_BYTES = 5 * 1024 * 1024
# The same area office may remind its schools again after this pause (a double click sends once).
REMINDER_PAUSE = timedelta(minutes=10)

BUILDING_FIELDS = (
    "kind", "name", "design_code", "year_built", "rooms_design", "rooms_in_use", "special_rooms",
    "floor_area_m2", "cost_baht", "funding", "condition", "in_use",
)  # fmt: skip


def _at(year_ce: int, month: int, day: int, clock: time) -> datetime:
    return timezone.make_aware(datetime.combine(date(year_ce, month, day), clock))


def _when(at: datetime | None) -> datetime:
    return at or timezone.now()


# --- survey years and their window ---------------------------------------------------------------


def survey_window(survey_year: SurveyYear) -> Window:
    return Window(survey_year.opens, survey_year.closes)


def check_survey_window(*, survey_year: SurveyYear, at: datetime | None = None) -> None:
    """Refuse a submission, certification or rejection outside the survey window."""
    window = survey_window(survey_year)
    if not window.contains(_when(at)):
        raise ValidationError(
            _("The building survey is open only %(w)s (Bangkok time).") % {"w": window.describe()},
            code="window",
        )


@transaction.atomic
def survey_year_create(
    *, year_be: int, opens: datetime | None = None, closes: datetime | None = None
) -> SurveyYear:
    """Create a survey year, by default open from 1 October 00:00 to 30 October 16:30 (Bangkok)."""
    if not 2500 <= year_be <= 2700:
        raise ValidationError(
            _("The academic year is a Buddhist year, e.g. 2569."),
            code="year",
        )
    if SurveyYear.objects.filter(year=year_be).exists():
        raise ValidationError(
            _("The %(y)d survey already exists.") % {"y": year_be},
            code="exists",
        )
    year_ce = year_be - 543
    opens = opens or _at(year_ce, *DEFAULT_OPENS)
    closes = closes or _at(year_ce, *DEFAULT_CLOSES)
    check_survey_times(opens=opens, closes=closes)
    return SurveyYear.objects.create(year=year_be, opens=opens, closes=closes)


def check_survey_times(*, opens: datetime, closes: datetime) -> None:
    if opens >= closes:
        raise ValidationError({"closes": _("The window must close after it opens.")})


# --- each school's survey -----------------------------------------------------------------------


def _lock(school_survey: SchoolSurvey) -> SchoolSurvey:
    return (
        SchoolSurvey.objects.select_for_update(of=("self",))
        .select_related("survey_year", "school__area_office")
        .get(pk=school_survey.pk)
    )


def _state_error(school_survey: SchoolSurvey) -> ValidationError:
    return ValidationError(
        _("Not possible while the survey is %(s)s.") % {"s": school_survey.get_state_display()},
        code="state",
    )


@transaction.atomic
def school_survey_open(*, survey_year: SurveyYear, school: School) -> tuple[SchoolSurvey, bool]:
    """Open the school's survey of the year once; say whether it opened now."""
    return SchoolSurvey.objects.get_or_create(survey_year=survey_year, school=school)


@transaction.atomic
def school_survey_submit(
    *, school_survey: SchoolSurvey, actor: User, at: datetime | None = None
) -> SchoolSurvey:
    """Send the school's buildings to the director for certification (staff, inside the window)."""
    school_survey = _lock(school_survey)
    if school_survey.state not in (SchoolSurvey.State.NOT_STARTED, SchoolSurvey.State.IN_PROGRESS):
        raise _state_error(school_survey)
    check_survey_window(survey_year=school_survey.survey_year, at=at)
    if not Building.objects.filter(school_id=school_survey.school_id).exists():
        raise ValidationError(
            _("No building yet: add the buildings first."),
            code="empty",
        )
    school_survey.state = SchoolSurvey.State.SUBMITTED
    school_survey.submitted_at, school_survey.submitted_by = _when(at), actor
    school_survey.save(update_fields=["state", "submitted_at", "submitted_by", "updated_at"])
    return school_survey


@transaction.atomic
def school_survey_certify(
    *, school_survey: SchoolSurvey, actor: User, at: datetime | None = None
) -> SchoolSurvey:
    """Certify the school's buildings (director, inside the window) and keep the figures."""
    school_survey = _lock(school_survey)
    if school_survey.state != SchoolSurvey.State.SUBMITTED:
        raise _state_error(school_survey)
    check_survey_window(survey_year=school_survey.survey_year, at=at)
    school_survey.state = SchoolSurvey.State.CERTIFIED
    school_survey.certified_at, school_survey.certified_by = _when(at), actor
    school_survey.summary = selectors.building_summary(school=school_survey.school)
    school_survey.save(
        update_fields=["state", "certified_at", "certified_by", "summary", "updated_at"]
    )
    return school_survey


@transaction.atomic
def school_survey_reject(
    *, school_survey: SchoolSurvey, actor: User, reason: str, at: datetime | None = None
) -> SchoolSurvey:
    """Send the survey back to the staff with a reason (director, inside the window)."""
    school_survey = _lock(school_survey)
    if school_survey.state != SchoolSurvey.State.SUBMITTED:
        raise _state_error(school_survey)
    check_survey_window(survey_year=school_survey.survey_year, at=at)
    reason = check_reason(reason)
    school_survey.state = SchoolSurvey.State.IN_PROGRESS
    school_survey.last_rejection = reason
    school_survey.save(update_fields=["state", "last_rejection", "updated_at"])
    return school_survey


@in_thai
@transaction.atomic
def school_survey_miss(*, school_survey: SchoolSurvey, at: datetime | None = None) -> SchoolSurvey:
    """Mark a school that did not certify by the close of the window as missed, and tell its staff
    and director that it is not listed for the budget request of fiscal year (year + 2)."""
    school_survey = _lock(school_survey)
    if school_survey.state in (SchoolSurvey.State.CERTIFIED, SchoolSurvey.State.MISSED):
        return school_survey
    school_survey.state = SchoolSurvey.State.MISSED
    school_survey.missed_at = _when(at)
    school_survey.save(update_fields=["state", "missed_at", "updated_at"])
    school, survey_year = school_survey.school, school_survey.survey_year
    recipients = school_emails(school=school)
    if recipients:
        subject, body = mail_compose("buildings/mail/survey_missed", {
            "school": school.name_th, "code": school.code, "year": survey_year.year,
            "fiscal": survey_year.fiscal_year, "closes": be_date(survey_year.closes),
        })  # fmt: skip
        mail_queue(subject=subject, body=body, recipients=recipients)
    return school_survey


@in_thai
@transaction.atomic
def survey_remind(*, survey_year: SurveyYear, area_office: AreaOffice, actor: User) -> int:
    """E-mail every school of the area whose survey is not certified yet (once per school per
    reminder); return how many schools were reminded."""
    AreaOffice.objects.select_for_update().filter(pk=area_office.pk).first()
    now = timezone.now()
    if now >= survey_year.closes:
        raise ValidationError(_("The survey has closed."), code="closed")
    if SurveyReminder.objects.filter(
        survey_year=survey_year, area_office=area_office, sent_at__gt=now - REMINDER_PAUSE
    ).exists():
        raise ValidationError(
            _("A reminder was just sent: wait a few minutes before sending another."),
            code="recent",
        )
    rows = selectors.survey_progress(area_office=area_office, survey_year=survey_year)
    pending = [
        r.school
        for r in rows
        if r.state not in (SchoolSurvey.State.CERTIFIED, SchoolSurvey.State.MISSED)
    ]
    closes = be_date(survey_year.closes)
    messages = []
    emails = schools_emails(school_ids=[s.pk for s in pending])
    for school in pending:
        recipients = emails.get(school.pk)
        if not recipients:
            continue
        subject, body = mail_compose("buildings/mail/survey_reminder", {
            "school": school.name_th, "year": survey_year.year, "closes": closes,
            "fiscal": survey_year.fiscal_year,
        })  # fmt: skip
        messages.append((subject, body, recipients))
    SurveyReminder.objects.create(
        survey_year=survey_year,
        area_office=area_office,
        sent_at=now,
        sent_by=actor,
        school_count=len(messages),
    )

    for subject, body, recipients in messages:
        mail_queue(subject=subject, body=body, recipients=recipients)
    return len(messages)


# --- the register -------------------------------------------------------------------------------


def check_register_open(school: School) -> None:
    """Refuse a change to the register while the year's survey waits for, or has, certification."""
    current = selectors.school_survey_current(school=school)
    if current is None:
        return
    if current.state == SchoolSurvey.State.CERTIFIED:
        raise ValidationError(
            _("The %(y)s building survey is certified: changes wait for the next survey.")
            % {"y": current.survey_year.year},
            code="certified",
        )
    if current.state == SchoolSurvey.State.SUBMITTED:
        raise ValidationError(
            _("The survey waits for the director: changes wait until it is sent back."),
            code="submitted",
        )


def _mark_in_progress(school: School) -> None:
    current = selectors.school_survey_current(school=school)
    if current is not None and current.state == SchoolSurvey.State.NOT_STARTED:
        SchoolSurvey.objects.filter(pk=current.pk, state=SchoolSurvey.State.NOT_STARTED).update(
            state=SchoolSurvey.State.IN_PROGRESS, updated_at=timezone.now()
        )


def check_building(*, fields: dict, today: date | None = None) -> None:
    """Validate a building's figures; raise ValidationError naming each wrong field."""
    errors = {}
    this_year_be = (today or timezone.localdate()).year + 543
    year = fields.get("year_built")
    if year is not None and not 2400 <= year <= this_year_be:
        errors["year_built"] = _(
            "The year built is a Buddhist year, not after this year (%(y)s)."
        ) % {"y": this_year_be}
    if (fields.get("rooms_in_use") or 0) > (fields.get("rooms_design") or 0):
        errors["rooms_in_use"] = _("Rooms in use cannot exceed the rooms by design.")
    if (fields.get("floor_area_m2") or Decimal("0")) < 0:
        errors["floor_area_m2"] = _("The floor area cannot be negative.")
    if fields.get("cost_baht") is not None and fields["cost_baht"] < 0:
        errors["cost_baht"] = _("The cost cannot be negative.")
    if not (fields.get("name") or "").strip():
        errors["name"] = _("Give the building a name.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def building_create(*, school: School, actor: User, **fields) -> Building:
    """Add a building to the school's register."""
    check_register_open(school)
    fields = {k: v for k, v in fields.items() if k in BUILDING_FIELDS}
    check_building(fields=fields)
    building = Building.objects.create(school=school, updated_by=actor, **fields)
    _mark_in_progress(school)
    return building


@transaction.atomic
def building_update(*, building: Building, actor: User, **fields) -> Building:
    """Change a building's figures."""
    building = (
        Building.objects.select_for_update(of=("self",))
        .select_related("school")
        .get(pk=building.pk)
    )
    check_register_open(building.school)
    merged = {name: fields.get(name, getattr(building, name)) for name in BUILDING_FIELDS}
    check_building(fields=merged)
    for name, value in merged.items():
        setattr(building, name, value)
    building.updated_by = actor
    building.save(update_fields=[*BUILDING_FIELDS, "updated_by", "updated_at"])
    _mark_in_progress(building.school)
    return building


@transaction.atomic
def building_delete(*, building: Building, actor: User) -> None:
    """Remove a building (and its photos) from the register."""
    building = Building.objects.select_related("school").get(pk=building.pk)
    check_register_open(building.school)
    files = [p.file.name for p in building.photos.all()]
    building.delete()
    _mark_in_progress(building.school)
    storage = BuildingPhoto._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files])


def check_photo(data: bytes) -> tuple[str, str]:
    """Return the content type and suffix of a JPEG or PNG from its bytes; refuse anything else."""
    kind = image_type(data)
    if kind is None:
        raise ValidationError(
            _("Only JPEG or PNG images are accepted (checked from the file's content)."),
            code="file_type",
        )
    return kind


@transaction.atomic
def building_photo_upload(
    *, building: Building, actor: User, side: str, uploaded_file
) -> BuildingPhoto:
    """Store the photo of one side of a building (replacing that side's photo)."""
    building = (
        Building.objects.select_for_update(of=("self",))
        .select_related("school")
        .get(pk=building.pk)
    )
    check_register_open(building.school)
    if side not in BuildingPhoto.Side.values:
        raise ValidationError({"side": _("Choose a side.")})
    limit = getattr(settings, "BUILDING_PHOTO_MAX_BYTES", PHOTO_MAX_BYTES)
    if uploaded_file.size > limit:
        raise ValidationError(
            {
                "file": _("The file is larger than %(mb)s MB.")
                % {"mb": round(limit / 1024 / 1024, 1)}
            },
            code="too_large",
        )
    data = uploaded_file.read(limit + 1)
    if not data or len(data) > limit:
        raise ValidationError({"file": _("The file is empty or too large.")})
    try:
        content_type, suffix = check_photo(data)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    old = BuildingPhoto.objects.filter(building=building, side=side).first()
    if old is not None:
        name = old.file.name
        old.delete()
        transaction.on_commit(lambda: BuildingPhoto._meta.get_field("file").storage.delete(name))
    photo = BuildingPhoto(
        building=building,
        side=side,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
    )
    photo.file.save(f"{photo.public_id}{suffix}", ContentFile(data), save=False)
    photo.save()
    _mark_in_progress(building.school)
    return photo


@transaction.atomic
def land_update(
    *,
    school: School,
    actor: User,
    rai: int | None = None,
    ngan: int | None = None,
    square_wa: Decimal | None = None,
    area_m2: Decimal | None = None,
    document: str = SchoolLand.Document.NONE,
    document_number: str = "",
) -> SchoolLand:
    """Record the school's land, in rai-ngan-square wa or in m² (converted to rai-ngan-wa)."""
    check_register_open(school)
    if document not in SchoolLand.Document.values:
        raise ValidationError({"document": _("Choose a document.")})
    if area_m2 is not None and not any((rai, ngan, square_wa)):
        if area_m2 < 0:
            raise ValidationError({"area_m2": _("The area cannot be negative.")})
        rai, rest = divmod(Decimal(area_m2), SQM_PER_RAI)
        ngan, rest = divmod(rest, SQM_PER_NGAN)
        square_wa = (rest / SQM_PER_SQWA).quantize(Decimal("0.1"))
        if square_wa >= 100:  # rounding up to a whole ngan
            ngan, square_wa = ngan + 1, Decimal("0")
    rai, ngan, square_wa = int(rai or 0), int(ngan or 0), Decimal(square_wa or 0)
    errors = {}
    if rai < 0:
        errors["rai"] = _("Cannot be negative.")
    if not 0 <= ngan <= 3:
        errors["ngan"] = _("Ngan is 0 to 3 (4 ngan = 1 rai).")
    if not 0 <= square_wa < 100:
        errors["square_wa"] = _("Square wa is 0 to 99 (100 = 1 ngan).")
    if errors:
        raise ValidationError(errors)
    land, _created = SchoolLand.objects.update_or_create(
        school=school,
        defaults={
            "rai": rai,
            "ngan": ngan,
            "square_wa": square_wa,
            "document": document,
            "document_number": document_number.strip()[:60],
            "updated_by": actor,
        },
    )
    _mark_in_progress(school)
    return land


# --- signed records -----------------------------------------------------------------------------


def survey_record(*, school_survey: SchoolSurvey) -> SignedDocument:
    """Sign the building survey record of a certified survey (once)."""
    school_survey = SchoolSurvey.objects.select_related(
        "school__area_office", "survey_year", "certified_by"
    ).get(pk=school_survey.pk)
    return document_issue(
        step_key=f"building_survey:{school_survey.pk}:certification",
        kind=Kind.BUILDING_SURVEY,
        template="documents/summary_record.html",
        context=records.survey_context(school_survey),
        school=school_survey.school,
        actor=school_survey.certified_by,
        actor_role=roles.ROLE_DIRECTOR,
        title=f"รายงานข้อมูลอาคารและสิ่งก่อสร้าง ปีการศึกษา {school_survey.survey_year.year}",
        subject=school_survey,
        stated_at=school_survey.certified_at,
    )


def budget_list_sign(
    *, survey_year: SurveyYear, area_office: AreaOffice, actor: User
) -> SignedDocument:
    """Sign the area office's budget-request list of a survey year, once, after the window closed."""
    if timezone.now() < survey_year.closes:
        raise ValidationError(
            _("The list can be signed once the survey has closed (%(c)s).")
            % {"c": be_date(survey_year.closes)},
            code="open",
        )
    listing = selectors.budget_list(
        survey_year=survey_year, schools=School.objects.open().filter(area_office=area_office)
    )
    return document_issue(
        step_key=f"building_budget:{survey_year.year}:{area_office.code}",
        kind=Kind.BUILDING_SURVEY,
        template="buildings/budget_record.html",
        context=records.budget_context(listing, area_office),
        school=None,
        area_office=area_office,
        actor=actor,
        actor_role=roles.ROLE_AREA_OFFICER,
        title=(f"บัญชีโรงเรียนที่มีสิทธิ์ขอตั้งงบประมาณสิ่งก่อสร้าง ปีงบประมาณ {survey_year.fiscal_year}"),
        subject=survey_year,
    )
