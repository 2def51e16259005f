"""The shapes of the API's answers and of the bodies of its writes."""

from collections.abc import Callable
from functools import cached_property

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from census.models import WINDOW_TIMES, SubsidyItem
from schools.identifiers import mask_citizen_id, mask_gcode
from schools.models import Enrollment, Grade, School, Sex, Title


class SchoolSerializer(serializers.ModelSerializer):
    area_office = serializers.CharField(source="area_office.code", help_text=_("area office code"))

    class Meta:
        model = School
        fields = [
            "code",
            "name_th",
            "name_en",
            "area_office",
            "province",
            "district",
            "subdistrict",
            "status",
            "lowest_grade",
            "highest_grade",
        ]


def _citizen_id(student, full: bool) -> str | None:
    # Full IDs only for a key that keeps the roster (accounts.permissions.can_see_full_ids), as on
    # the pages: a read key, an area office's key, see them masked.
    if not student.citizen_id:
        return None
    return student.citizen_id if full else mask_citizen_id(student.citizen_id)


def _gcode(student, full: bool) -> str | None:
    if not student.gcode:
        return None
    return student.gcode if full else mask_gcode(student.gcode)


# Rendered with the field's own rules (the current time zone, the API's format), made once.
_DATETIME = serializers.DateTimeField()


class LearnerSerializer(serializers.Serializer):
    """A learner with their enrollment at the school asked about."""

    id = serializers.UUIDField(source="student.public_id")
    citizen_id = serializers.SerializerMethodField(
        help_text=_("13 digits; masked unless the key may keep the school's roster")
    )
    gcode = serializers.SerializerMethodField()
    title = serializers.ChoiceField(choices=Title.choices, source="student.title")
    first_name_th = serializers.CharField(source="student.first_name_th")
    last_name_th = serializers.CharField(source="student.last_name_th")
    first_name_en = serializers.CharField(source="student.first_name_en")
    last_name_en = serializers.CharField(source="student.last_name_en")
    sex = serializers.ChoiceField(choices=Sex.choices, source="student.sex")
    birth_date = serializers.DateField(source="student.birth_date")
    grade = serializers.ChoiceField(choices=Grade.choices)
    room = serializers.IntegerField()
    status = serializers.CharField()
    started_on = serializers.DateField()
    ended_on = serializers.DateField(allow_null=True)
    updated_at = serializers.SerializerMethodField(
        help_text=_("the later of the learner's and the enrollment's last change")
    )

    def to_representation(self, instance: Enrollment) -> dict:
        # DRF's own loop without its per-field lookup machinery, where a roster page of 500
        # learners spent half its time: each field's source is read by plain attribute access (an
        # enrollment and its learner: no mapping, no callable, never None midway) and rendered by
        # the field's own to_representation, None left as None, as DRF does.
        row = {}
        for name, path, render in self._renderers:
            value = instance
            for attr in path:
                value = getattr(value, attr)
            row[name] = None if value is None else render(value)
        return row

    @cached_property
    def _renderers(self) -> list[tuple[str, list[str], Callable]]:
        return [(f.field_name, f.source_attrs, f.to_representation) for f in self._readable_fields]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_citizen_id(self, enrollment: Enrollment) -> str | None:
        return _citizen_id(enrollment.student, self.context["full_ids"])

    @extend_schema_field({"type": "string", "nullable": True})
    def get_gcode(self, enrollment: Enrollment) -> str | None:
        return _gcode(enrollment.student, self.context["full_ids"])

    @extend_schema_field({"type": "string", "format": "date-time"})
    def get_updated_at(self, enrollment: Enrollment) -> str:
        return _DATETIME.to_representation(
            max(enrollment.updated_at, enrollment.student.updated_at)
        )


class RoundSerializer(serializers.Serializer):
    """A count round with the windows that bind the caller: an area office's own where the ministry
    staggered the round and the key is of that area office or one of its schools (the selector
    prefetches them as ``own_windows``), otherwise the round's."""

    id = serializers.IntegerField()
    academic_year = serializers.IntegerField(source="academic_year.year")
    number = serializers.IntegerField()
    as_of = serializers.DateField()
    confirm_opens = serializers.DateTimeField()
    confirm_closes = serializers.DateTimeField()
    certify_opens = serializers.DateTimeField()
    certify_closes = serializers.DateTimeField()
    area_office = serializers.SerializerMethodField(
        help_text=_(
            "The area office whose own windows these are (the ministry staggered the round); "
            "null: the round's windows."
        )
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_area_office(self, round) -> str | None:
        own = getattr(round, "own_windows", None)
        return own[0].area_office.code if own else None

    def to_representation(self, round):
        data = super().to_representation(round)
        if own := getattr(round, "own_windows", None):
            for name in WINDOW_TIMES:
                data[name] = self.fields[name].to_representation(getattr(own[0], name))
        return data


class SchoolRoundSerializer(serializers.Serializer):
    school = serializers.CharField(source="school.code")
    state = serializers.CharField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    certified_at = serializers.DateTimeField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)


class CountsSerializer(serializers.Serializer):
    school = serializers.CharField(source="school.code")
    learner_count = serializers.IntegerField()
    counts = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text=_('per grade, per sex: {"P1": {"M": 10, "F": 12}}'),
    )
    certified_at = serializers.DateTimeField()
    snapshot = serializers.UUIDField(source="public_id")


class RecordSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    sha256 = serializers.CharField(allow_blank=True)


class AllocationLineSerializer(serializers.Serializer):
    grade = serializers.ChoiceField(choices=Grade.choices)
    item = serializers.ChoiceField(choices=SubsidyItem.choices)
    count = serializers.IntegerField()
    per_learner = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class PaymentSerializer(serializers.Serializer):
    key = serializers.CharField(source="rule.key")
    academic_year = serializers.IntegerField(source="rule.academic_year")
    round_number = serializers.IntegerField(source="rule.round_number")
    share = serializers.DecimalField(source="rule.share", max_digits=6, decimal_places=4)
    funded = serializers.BooleanField()
    snapshot = serializers.UUIDField(source="snapshot_public_id", allow_null=True)
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)
    deduction = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    lines = AllocationLineSerializer(many=True)


class AllocationSerializer(serializers.Serializer):
    school = serializers.CharField(source="school.code")
    academic_year = serializers.IntegerField()
    term = serializers.IntegerField()
    fiscal_year = serializers.IntegerField()
    status = serializers.CharField(help_text=_("none, incomplete, provisional or final"))
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    payments = PaymentSerializer(many=True)
