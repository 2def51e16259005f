"""The bodies of the API's writes. Only their shape is checked here: the rules stay in the
services (the same messages as the pages and the file upload)."""

import base64
import binascii
import re

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from schools.models import Grade, Sex, Title
from workflows.models import DropoutProcess

MAX_MEASUREMENT_ROWS = 10_000


class EvidenceSerializer(serializers.Serializer):
    """A file (PDF, JPEG or PNG) as base64; the service checks its bytes."""

    filename = serializers.CharField(max_length=200)
    content_base64 = serializers.CharField()

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            content = base64.b64decode(value["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError(
                {"content_base64": _("This is not base64.")}
            ) from None
        return ContentFile(content, name=value["filename"])


def evidence_field(**kwargs):
    return EvidenceSerializer(many=True, required=False, max_length=10, **kwargs)


class LearnerAddSerializer(serializers.Serializer):
    citizen_id = serializers.CharField(required=False, allow_blank=True, max_length=20)
    gcode = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text=_("an issued G-code (2.7.4)")
    )
    title = serializers.ChoiceField(choices=Title.choices)
    first_name_th = serializers.CharField(max_length=100)
    last_name_th = serializers.CharField(max_length=100)
    first_name_en = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name_en = serializers.CharField(max_length=100, required=False, allow_blank=True)
    sex = serializers.ChoiceField(choices=Sex.choices)
    birth_date = serializers.DateField()
    nationality = serializers.CharField(max_length=60, required=False, default="ไทย")
    grade = serializers.ChoiceField(choices=Grade.choices)
    room = serializers.IntegerField(min_value=1, max_value=99)
    started_on = serializers.DateField(required=False)

    def validate(self, data):
        data.setdefault("started_on", timezone.localdate())
        return data


class ClassEditSerializer(serializers.Serializer):
    grade = serializers.ChoiceField(choices=Grade.choices, required=False)
    room = serializers.IntegerField(min_value=1, max_value=99, required=False)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class NameEditSerializer(serializers.Serializer):
    title = serializers.ChoiceField(choices=Title.choices, required=False)
    first_name_th = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name_th = serializers.CharField(max_length=100, required=False, allow_blank=True)
    first_name_en = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name_en = serializers.CharField(max_length=100, required=False, allow_blank=True)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TransferOutSerializer(serializers.Serializer):
    on = serializers.DateField()
    destination_school = serializers.CharField(
        max_length=10, required=False, allow_blank=True, help_text=_("school code, if known")
    )
    destination_note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class MeasurementRowSerializer(serializers.Serializer):
    # Text or numbers, checked by the file upload's own rules (schools.uploads), for its messages.
    id = serializers.CharField(
        allow_blank=True, allow_null=True, required=False, help_text=_("citizen ID or G-code")
    )
    weight_kg = serializers.CharField(allow_blank=True, allow_null=True, required=False)
    height_cm = serializers.CharField(allow_blank=True, allow_null=True, required=False)
    measured_on = serializers.CharField(
        allow_blank=True, allow_null=True, required=False, help_text=_("YYYY-MM-DD or d/m/BBBB")
    )


# What a row's CharField refuses in a string: a NUL or a lone surrogate (DRF's two validators).
_REFUSED_IN_TEXT = re.compile("[\x00\ud800-\udfff]")
_ROW_FIELDS = tuple(MeasurementRowSerializer._declared_fields)
_MISSING = object()


def _plain_rows(data) -> list[dict] | None:
    """Return the rows of a JSON body as MeasurementRowSerializer would validate them (text
    stripped, a number as its text, null as None, other keys dropped), or None when any cell is
    not plainly valid, for the serializer to refuse in its own words."""
    rows = data.get("rows") if type(data) is dict else None
    if type(rows) is not list or not 1 <= len(rows) <= MAX_MEASUREMENT_ROWS:
        return None
    plain = []
    for row in rows:
        if type(row) is not dict:
            return None
        cells = {}
        for name in _ROW_FIELDS:
            value = row.get(name, _MISSING)
            if value is _MISSING:
                continue
            if type(value) in (int, float):
                value = str(value)
            elif value is not None:
                if type(value) is not str or _REFUSED_IN_TEXT.search(value):
                    return None
                value = value.strip()
            cells[name] = value
        plain.append(cells)
    return plain


class MeasurementsSerializer(serializers.Serializer):
    rows = MeasurementRowSerializer(many=True, min_length=1, max_length=MAX_MEASUREMENT_ROWS)

    def to_internal_value(self, data):
        # DRF checks 10,000 rows field by field (a third of a bulk write's time); a body whose
        # every cell is text, a number or null is taken as the serializer would take it, and any
        # other goes through the serializer, for its errors.
        rows = _plain_rows(data)
        if rows is None:
            return super().to_internal_value(data)
        return {"rows": rows}


class TransferInSerializer(serializers.Serializer):
    identifier = serializers.CharField(max_length=20, help_text=_("citizen ID or G-code"))
    grade = serializers.ChoiceField(choices=Grade.choices)
    room = serializers.IntegerField(min_value=1, max_value=99)
    evidence = evidence_field()


class DropoutRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DropoutProcess.Kind.choices)
    reason = serializers.ChoiceField(choices=DropoutProcess.Reason.choices)
    reason_note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    effective_on = serializers.DateField()
    evidence = evidence_field()


class IdCorrectionRequestSerializer(serializers.Serializer):
    new_citizen_id = serializers.CharField(max_length=20)
    evidence = evidence_field()


class GCodeRequestSerializer(serializers.Serializer):
    title = serializers.ChoiceField(choices=Title.choices)
    first_name_th = serializers.CharField(max_length=100)
    last_name_th = serializers.CharField(max_length=100)
    first_name_en = serializers.CharField(max_length=100, required=False, default="")
    last_name_en = serializers.CharField(max_length=100, required=False, default="")
    sex = serializers.ChoiceField(choices=Sex.choices)
    birth_date = serializers.DateField()
    nationality = serializers.CharField(max_length=60)
    guardian_name = serializers.CharField(max_length=200)
    guardian_relation = serializers.CharField(max_length=60)
    guardian_phone = serializers.CharField(max_length=30, required=False, default="")
    address = serializers.CharField(max_length=300)
    grade = serializers.ChoiceField(choices=Grade.choices)
    room = serializers.IntegerField(min_value=1, max_value=99)
    evidence = evidence_field()


class RequestStartedSerializer(serializers.Serializer):
    """A request started: it waits for people in their inboxes."""

    kind = serializers.CharField()
    request = serializers.IntegerField(help_text=_("the request's number"))
    status = serializers.CharField()


class MeasurementsResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class ChangedSerializer(serializers.Serializer):
    changed = serializers.IntegerField()
