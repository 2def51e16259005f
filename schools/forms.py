from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .checks import BE_OFFSET, check_birth_date, date_from_text
from .identifiers import parse_citizen_id, parse_gcode
from .models import Grade, School, Sex, StudentDocument, Title


class SchoolGradesMixin:
    """A form whose grade pickers offer only the grades the school teaches (school=...): a primary
    school's staff are not offered ม.1, and a grade the school does not teach is refused."""

    def __init__(self, *args, school: School | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if school is None:
            return
        for field in self.fields.values():
            if isinstance(field, forms.ChoiceField) and any(
                value in Grade.values for value, _label in field.choices
            ):
                field.choices = [
                    (value, label)
                    for value, label in field.choices
                    if value not in Grade.values or school.teaches(value)
                ]


class RosterFilterForm(SchoolGradesMixin, forms.Form):
    """Search and filters of the roster page."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("Name or ID")}),
    )
    grade = forms.ChoiceField(
        label=_("Grade"), required=False, choices=[("", _("All grades"))] + Grade.choices
    )
    room = forms.IntegerField(label=_("Room"), required=False, min_value=1, max_value=99)


class DateInput(forms.TextInput):
    """A date typed as day/month/year of the Buddhist era, with the browser's calendar beside it
    (static/js/dates.js shows the calendar and copies its choice into the text)."""

    template_name = "schools/widgets/thai_date.html"

    def __init__(self, attrs=None):
        super().__init__(
            {
                "inputmode": "numeric",
                "autocomplete": "off",
                "placeholder": _("dd/mm/yyyy (B.E.)"),
                **(attrs or {}),
            }
        )

    def format_value(self, value):
        if isinstance(value, date):
            return f"{value.day:02d}/{value.month:02d}/{value.year + BE_OFFSET}"
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["iso"] = value.isoformat() if isinstance(value, date) else ""
        return context


class ThaiDateField(forms.DateField):
    """A date field that reads the dates people type (date_from_text) and shows the Buddhist year."""

    widget = DateInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return date_from_text(str(value))


class StudentAddForm(SchoolGradesMixin, forms.Form):
    """Add a learner (menu 2.7.3 with a citizen ID; 2.7.4 with a G-code)."""

    identifier = forms.CharField(label=_("Citizen ID"), max_length=20)
    title = forms.ChoiceField(label=_("Name prefix"), choices=Title.choices)
    first_name_th = forms.CharField(label=_("First name (Thai)"), max_length=100)
    last_name_th = forms.CharField(label=_("Last name (Thai)"), max_length=100)
    first_name_en = forms.CharField(label=_("First name (English)"), max_length=100, required=False)
    last_name_en = forms.CharField(label=_("Last name (English)"), max_length=100, required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    birth_date = ThaiDateField(label=_("Birth date"))
    nationality = forms.CharField(label=_("Nationality"), max_length=60, initial="ไทย")
    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices)
    room = forms.IntegerField(label=_("Room"), min_value=1, max_value=99, initial=1)
    started_on = ThaiDateField(label=_("Start date"))

    def __init__(self, *args, gcode: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.gcode = gcode
        if gcode:
            self.fields["identifier"].label = _("G-code")
            self.fields["identifier"].help_text = _(
                "G followed by 12 digits, as issued by the G-code request or recorded by the area "
                "office"
            )
        else:
            self.fields["identifier"].help_text = _("13 digits; dashes are optional")

    def clean_identifier(self):
        value = self.cleaned_data["identifier"]
        return parse_gcode(value) if self.gcode else parse_citizen_id(value)

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        check_birth_date(value)
        return value

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        identifier = data.pop("identifier")
        data["gcode" if self.gcode else "citizen_id"] = identifier
        return data


class GCodeRegisterForm(forms.Form):
    """Record a G-code that the national G-code system issued, with its evidence."""

    gcode = forms.CharField(
        label=_("G-code"), max_length=20, help_text=_("G followed by 12 digits")
    )
    learner_name = forms.CharField(
        label=_("Learner's name as the issuance shows it"), max_length=200
    )
    evidence = forms.FileField(label=_("Evidence of the issuance (PDF, JPEG or PNG)"))

    def clean_gcode(self):
        return parse_gcode(self.cleaned_data["gcode"])


class TransferOutForm(forms.Form):
    on = ThaiDateField(label=_("Transfer date"))
    destination_code = forms.CharField(
        label=_("Destination school code (10 digits)"), max_length=10, required=False
    )
    destination_note = forms.CharField(
        label=_("Or: destination outside the system"), max_length=300, required=False
    )

    def clean_destination_code(self):
        code = self.cleaned_data["destination_code"].strip()
        if not code:
            return None
        school = School.objects.filter(code=code).first()
        if school is None:
            raise ValidationError(_("No school has this code."), code="unknown_school")
        return school


class ClassEditForm(SchoolGradesMixin, forms.Form):
    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices)
    room = forms.IntegerField(label=_("Room"), min_value=1, max_value=99)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class BulkMoveForm(SchoolGradesMixin, forms.Form):
    """Move a whole room to another room, or move the learners ticked on the roster.

    A whole grade or room never changes grade here: learners move up by themselves at the year
    rollover (census.rollover), so a school cannot promote twice or promote by hand."""

    from_grade = forms.ChoiceField(label=_("From grade"), choices=Grade.choices, required=False)
    from_room = forms.IntegerField(label=_("From room"), min_value=1, max_value=99, required=False)
    to_grade = forms.ChoiceField(
        label=_("To grade"), choices=[("", _("(unchanged)"))] + Grade.choices, required=False
    )
    to_room = forms.IntegerField(label=_("To room"), min_value=1, max_value=99, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    selected = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not data.get("to_grade") and not data.get("to_room"):
            raise ValidationError(_("Choose a new grade or room."))
        if not data.get("selected") and not data.get("from_grade"):
            raise ValidationError(_("Choose the grade to move from, or tick learners."))
        if (
            not data.get("selected")
            and data.get("to_grade")
            and data.get("to_grade") != data.get("from_grade")
        ):
            raise ValidationError(
                _(
                    "A whole grade or room moves up by itself at the year rollover: tick the learners whose grade needs correcting."
                ),
                code="promotion",
            )
        return data


class NameEditForm(forms.Form):
    title = forms.ChoiceField(label=_("Name prefix"), choices=Title.choices)
    first_name_th = forms.CharField(label=_("First name (Thai)"), max_length=100)
    last_name_th = forms.CharField(label=_("Last name (Thai)"), max_length=100)
    first_name_en = forms.CharField(label=_("First name (English)"), max_length=100, required=False)
    last_name_en = forms.CharField(label=_("Last name (English)"), max_length=100, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class DetailsEditForm(forms.Form):
    """Correct a learner's sex or birth date typed wrong when they were added."""

    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    birth_date = ThaiDateField(label=_("Birth date"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_(
            "For example: typed wrong when the learner was added (the birth certificate says otherwise)"
        ),
    )


class MeasurementForm(forms.Form):
    measured_on = ThaiDateField(label=_("Measured on"))
    weight_kg = forms.DecimalField(
        label=_("Weight (kg)"), max_digits=5, decimal_places=1, min_value=1
    )
    height_cm = forms.DecimalField(
        label=_("Height (cm)"), max_digits=5, decimal_places=1, min_value=1
    )


class MeasurementUploadForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"))


class SchoolListForm(forms.Form):
    file = forms.FileField(label=_("School list (.xlsx or .csv)"))


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=StudentDocument.Kind.choices)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"))


class ExplanationForm(forms.Form):
    rule = forms.CharField(widget=forms.HiddenInput, max_length=40)
    subject_key = forms.CharField(widget=forms.HiddenInput, max_length=80)
    text = forms.CharField(
        label=_("Explanation"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
