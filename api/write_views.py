"""The API's writes, each through the service the pages call (the same validation, audit, roster
lock, windows and one-active-enrollment rule), once per Idempotency-Key. Confirm and certify are
not here: they stay with people."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status

from accounts.permissions import access_school, can_keep_roster, can_see_full_ids
from schools import services as roster
from schools.bulk import without_gc_pauses
from schools.models import Enrollment, EnrollmentStatus, School
from schools.uploads import check_measurement_rows
from workflows import requests

from . import read_views
from .base import ACCEPT_LANGUAGE, IDEMPOTENCY_HEADER, ApiView, IdempotentWriteMixin
from .read_views import PROBLEM
from .serializers import LearnerSerializer
from .write_serializers import (
    ChangedSerializer,
    ClassEditSerializer,
    DropoutRequestSerializer,
    GCodeRequestSerializer,
    IdCorrectionRequestSerializer,
    LearnerAddSerializer,
    MeasurementsResultSerializer,
    MeasurementsSerializer,
    NameEditSerializer,
    RequestStartedSerializer,
    TransferInSerializer,
    TransferOutSerializer,
)

WRITE_ERRORS = {400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 422: PROBLEM, 429: PROBLEM}


def write_schema(request, response, operation_id):
    return extend_schema(
        operation_id=operation_id,
        request=request,
        responses={201: response, 200: response, **WRITE_ERRORS},
        parameters=[IDEMPOTENCY_HEADER, ACCEPT_LANGUAGE],
    )


class SchoolWriteView(IdempotentWriteMixin, ApiView):
    """A write to a school's roster: the key's principal must keep that roster, as on the pages."""

    def editable_school(self, code: str) -> School:
        school = access_school(self.principal, code)
        if not can_keep_roster(self.principal, school):
            raise PermissionDenied
        return school

    def active_enrollment(self, school: School, public_id) -> Enrollment:
        enrollment = (
            Enrollment.objects.select_related("student", "school")
            .filter(school=school, student__public_id=public_id, status=EnrollmentStatus.ACTIVE)
            .first()
        )
        if enrollment is None:
            raise Http404
        return enrollment

    def body(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def learner(self, enrollment: Enrollment, school: School) -> dict:
        full = can_see_full_ids(self.principal, school)
        return LearnerSerializer(enrollment, context={"full_ids": full}).data


class LearnerAddView(SchoolWriteView):
    """Add a learner with a citizen ID (2.7.3) or an issued G-code (2.7.4)."""

    @write_schema(LearnerAddSerializer, LearnerSerializer, "learner_add")
    def post(self, request, code):
        def act():
            school = self.editable_school(code)
            data = self.body(LearnerAddSerializer)
            enrollment = roster.student_add(school=school, actor=self.principal, **data)
            return status.HTTP_201_CREATED, self.learner(enrollment, school)

        return self.idempotent(request, act)


class RosterView(LearnerAddView, read_views.RosterView):
    """GET: the school's roster; POST: add a learner."""


class ClassEditView(SchoolWriteView):
    """Change a learner's grade or room (2.7.7)."""

    @write_schema(ClassEditSerializer, ChangedSerializer, "learner_class_edit")
    def post(self, request, code, public_id):
        def act():
            school = self.editable_school(code)
            enrollment = self.active_enrollment(school, public_id)
            data = self.body(ClassEditSerializer)
            changed = roster.enrollments_change_class(
                school=school,
                actor=self.principal,
                enrollment_ids=[enrollment.pk],
                grade=data.get("grade"),
                room=data.get("room"),
                reason=data["reason"],
            )
            return status.HTTP_200_OK, {"changed": changed}

        return self.idempotent(request, act)


class NameEditView(SchoolWriteView):
    """Change a learner's title and names (2.7.8)."""

    @write_schema(NameEditSerializer, LearnerSerializer, "learner_name_edit")
    def post(self, request, code, public_id):
        def act():
            school = self.editable_school(code)
            enrollment = self.active_enrollment(school, public_id)
            data = self.body(NameEditSerializer)
            reason = data.pop("reason")
            roster.student_rename(
                student=enrollment.student,
                school=school,
                actor=self.principal,
                reason=reason,
                **data,
            )
            enrollment.refresh_from_db()
            return status.HTTP_200_OK, self.learner(enrollment, school)

        return self.idempotent(request, act)


class TransferOutView(SchoolWriteView):
    """Transfer a learner out (2.7.5)."""

    @write_schema(TransferOutSerializer, LearnerSerializer, "learner_transfer_out")
    def post(self, request, code, public_id):
        def act():
            school = self.editable_school(code)
            enrollment = self.active_enrollment(school, public_id)
            data = self.body(TransferOutSerializer)
            destination = None
            if data.get("destination_school"):
                destination = School.objects.filter(code=data["destination_school"]).first()
                if destination is None:
                    raise ValidationError(
                        {"destination_school": _("No school has this code.")}, code="unknown"
                    )
            ended = roster.enrollment_transfer_out(
                enrollment=enrollment,
                actor=self.principal,
                on=data["on"],
                destination_school=destination,
                destination_note=data.get("destination_note", ""),
            )
            return status.HTTP_200_OK, self.learner(ended, school)

        return self.idempotent(request, act)


class MeasurementsView(SchoolWriteView):
    """Record weights and heights in bulk (3.1.1): up to 10,000 rows, all or none, checked by the
    file upload's rules with the same messages; an error names its row (1 = the first)."""

    @write_schema(MeasurementsSerializer, MeasurementsResultSerializer, "measurements_record")
    def post(self, request, code):
        # Up to 10,000 rows make hundreds of thousands of small objects (the body's dicts, the
        # checked rows, the entries), none in a cycle: a full pass of the collector over the
        # process fell in every other call of 3,000 rows (+300 ms on PostgreSQL).
        @without_gc_pauses()
        def act():
            school = self.editable_school(code)
            rows = self.body(MeasurementsSerializer)["rows"]
            parsed = check_measurement_rows(
                (
                    number,
                    {
                        "identifier": row.get("id"),
                        "weight": row.get("weight_kg"),
                        "height": row.get("height_cm"),
                        "date": row.get("measured_on"),
                    },
                )
                for number, row in enumerate(rows, start=1)
            )
            entries, errors = roster.measurement_entries_of(school=school, parsed=parsed)
            if errors:
                raise RowErrors(errors)
            result = roster.measurements_record(
                school=school,
                actor=self.principal,
                entries=entries,
                source=roster.Measurement.Source.UPLOAD,
            )
            return status.HTTP_200_OK, {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            }

        return self.idempotent(request, act)


class RowErrors(ValidationError):
    """Refused rows of a bulk write, each with its row number (api.problems shows them)."""

    def __init__(self, errors: list[dict]):
        super().__init__([e["message"] for e in errors], code="rows")
        self.rows = [{"row": e["line"], "message": e["message"]} for e in errors]


def _started(kind: str, process) -> tuple[int, dict]:
    return status.HTTP_202_ACCEPTED, {"kind": kind, "request": process.pk, "status": "waiting"}


class TransferInView(SchoolWriteView):
    """Ask the school holding a learner to release them (2.7.1); a learner nobody holds is enrolled
    at once (201 with the learner)."""

    @extend_schema(
        operation_id="transfer_in_request",
        request=TransferInSerializer,
        responses={202: RequestStartedSerializer, 201: LearnerSerializer, **WRITE_ERRORS},
        parameters=[IDEMPOTENCY_HEADER, ACCEPT_LANGUAGE],
    )
    def post(self, request, code):
        def act():
            school = self.editable_school(code)
            data = self.body(TransferInSerializer)
            student = requests.find_learner(data["identifier"])
            if student is None:
                raise ValidationError(
                    {"identifier": _("No learner has this ID yet: use Add a learner (2.7.3).")}
                )
            result = requests.transfer_request(
                school=school,
                actor=self.principal,
                student=student,
                grade=data["grade"],
                room=data["room"],
                evidence=data.get("evidence", []),
            )
            if result.enrolled_at_once:
                return status.HTTP_201_CREATED, self.learner(result.enrollment, school)
            return _started("transfer", result.process)

        return self.idempotent(request, act)


class DropoutRequestView(SchoolWriteView):
    """Ask the area office to approve a dropout or a removal (2.7.6)."""

    @extend_schema(
        operation_id="dropout_request",
        request=DropoutRequestSerializer,
        responses={202: RequestStartedSerializer, **WRITE_ERRORS},
        parameters=[IDEMPOTENCY_HEADER, ACCEPT_LANGUAGE],
    )
    def post(self, request, code, public_id):
        def act():
            school = self.editable_school(code)
            enrollment = self.active_enrollment(school, public_id)
            data = self.body(DropoutRequestSerializer)
            process = requests.dropout_request(
                enrollment=enrollment,
                actor=self.principal,
                kind=data["kind"],
                reason=data["reason"],
                reason_note=data["reason_note"],
                effective_on=data["effective_on"],
                evidence=data.get("evidence", []),
            )
            return _started("dropout", process)

        return self.idempotent(request, act)


class IdCorrectionRequestView(SchoolWriteView):
    """Ask for a citizen-ID correction, approved by e-mail (closed after the count day's cut-off)."""

    @extend_schema(
        operation_id="id_correction_request",
        request=IdCorrectionRequestSerializer,
        responses={202: RequestStartedSerializer, **WRITE_ERRORS},
        parameters=[IDEMPOTENCY_HEADER, ACCEPT_LANGUAGE],
    )
    def post(self, request, code, public_id):
        def act():
            school = self.editable_school(code)
            enrollment = self.active_enrollment(school, public_id)
            data = self.body(IdCorrectionRequestSerializer)
            process = requests.id_correction_request(
                student=enrollment.student,
                school=school,
                actor=self.principal,
                new_citizen_id=data["new_citizen_id"],
                evidence=data.get("evidence", []),
            )
            return _started("id-correction", process)

        return self.idempotent(request, act)


class GCodeRequestView(SchoolWriteView):
    """Ask the area office to verify a learner without civil registration and issue a G-code."""

    @extend_schema(
        operation_id="gcode_request",
        request=GCodeRequestSerializer,
        responses={202: RequestStartedSerializer, **WRITE_ERRORS},
        parameters=[IDEMPOTENCY_HEADER, ACCEPT_LANGUAGE],
    )
    def post(self, request, code):
        def act():
            school = self.editable_school(code)
            data = self.body(GCodeRequestSerializer)
            process = requests.gcode_request(school=school, actor=self.principal, **data)
            return _started("gcode", process)

        return self.idempotent(request, act)
