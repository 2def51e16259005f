from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools.forms import SchoolGradesMixin, ThaiDateField
from schools.identifiers import parse_citizen_id, parse_gcode
from schools.models import Grade, Sex, Title

from .models import Decision, DropoutProcess


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """One or more evidence files (PDF, JPEG or PNG; checked from their bytes by the service)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(EvidenceField, self).clean(f, initial) for f in files]


class DropoutRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DropoutProcess.Kind.choices)
    reason = forms.ChoiceField(label=_("Reason"), choices=DropoutProcess.Reason.choices)
    reason_note = forms.CharField(label=_("Details"), max_length=500, required=False)
    effective_on = ThaiDateField(label=_("Effective date"))
    evidence = EvidenceField(label=_("Evidence (PDF, JPEG or PNG)"))


class IdCorrectionForm(forms.Form):
    new_citizen_id = forms.CharField(label=_("Correct citizen ID"), max_length=20)
    evidence = EvidenceField(label=_("Copy of the ID card or birth certificate"), required=True)

    def clean_new_citizen_id(self):
        return parse_citizen_id(self.cleaned_data["new_citizen_id"])


class TransferInForm(SchoolGradesMixin, forms.Form):
    identifier = forms.CharField(label=_("Citizen ID or G-code"), max_length=20)
    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices)
    room = forms.IntegerField(label=_("Room"), min_value=1, max_value=99, initial=1)
    evidence = EvidenceField(label=_("Transfer letter or other evidence"))

    def clean_identifier(self):
        value = self.cleaned_data["identifier"].strip()
        return parse_gcode(value) if value[:1].upper() == "G" else parse_citizen_id(value)


class GCodeRequestForm(SchoolGradesMixin, forms.Form):
    title = forms.ChoiceField(label=_("Name prefix"), choices=Title.choices)
    first_name_th = forms.CharField(label=_("First name (Thai)"), max_length=100)
    last_name_th = forms.CharField(label=_("Last name (Thai)"), max_length=100)
    first_name_en = forms.CharField(label=_("First name (English)"), max_length=100, required=False)
    last_name_en = forms.CharField(label=_("Last name (English)"), max_length=100, required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    birth_date = ThaiDateField(label=_("Birth date"))
    nationality = forms.CharField(label=_("Nationality"), max_length=60)
    guardian_name = forms.CharField(label=_("Guardian"), max_length=200)
    guardian_relation = forms.CharField(label=_("Relation to the learner"), max_length=60)
    guardian_phone = forms.CharField(label=_("Guardian's phone"), max_length=30, required=False)
    address = forms.CharField(label=_("Address"), max_length=300)
    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices)
    room = forms.IntegerField(label=_("Room"), min_value=1, max_value=99, initial=1)
    evidence = EvidenceField(label=_("Evidence (PDF, JPEG or PNG)"))

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        if value > timezone.localdate() or value.year < 1950:
            raise ValidationError(_("The birth date is not valid."))
        return value


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(Decision.APPROVED, _("Approve")), (Decision.REJECTED, _("Reject"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (a reason is required to reject)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReleaseForm(DecisionForm):
    on = ThaiDateField(label=_("Transfer date (when releasing)"), required=False)
