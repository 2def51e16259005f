from django import forms
from django.utils.translation import gettext_lazy as _

from schools.checks import BE_OFFSET, christian_year
from schools.forms import ThaiDateField
from schools.models import Grade

from .area_windows import MAX_GROUPS
from .models import ROUND_FIELDS, ROUND_TIMES, Round, SubsidyRate


class AcademicYearForm(forms.Form):
    year = forms.IntegerField(
        label=_("Academic year (Buddhist era)"), min_value=2500, max_value=2700, initial=2570
    )


class AreaWindowsForm(forms.Form):
    groups = forms.IntegerField(
        label=_("Groups of area offices"),
        help_text=_(
            "The count day is cut into this many parts, each with about the same number of "
            "schools; 1 gives every area office the round's windows again."
        ),
        min_value=1,
        max_value=MAX_GROUPS,
        initial=3,
    )


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class RoundForm(forms.ModelForm):
    class Meta:
        model = Round
        fields = list(ROUND_FIELDS)
        field_classes = {"as_of": ThaiDateField}
        widgets = {name: DateTimeInput() for name in ROUND_TIMES}

    # A date far outside the calendar overflows when it is converted to UTC for the database.
    YEARS = (2000, 2200)

    def clean(self):
        data = super().clean()
        for name in self.Meta.fields:
            value = data.get(name)
            if value is not None and christian_year(value.year) != value.year:
                # A Buddhist year typed into the browser's date-and-time field: understood as such.
                try:
                    value = data[name] = value.replace(year=christian_year(value.year))
                except ValueError:  # 29 February of a year that has none
                    pass
            if value is not None and not self.YEARS[0] <= value.year <= self.YEARS[1]:
                self.add_error(
                    name,
                    forms.ValidationError(
                        _("The year must be between %(low)d and %(high)d.")
                        % {"low": self.YEARS[0] + BE_OFFSET, "high": self.YEARS[1] + BE_OFFSET},
                        code="year",
                    ),
                )
        return data


class SubsidyRateForm(forms.ModelForm):
    grade = forms.ChoiceField(
        label=_("Grade (blank: every grade of the level)"),
        choices=[("", "—"), *Grade.choices],
        required=False,
    )

    class Meta:
        model = SubsidyRate
        fields = [
            "fiscal_year",
            "item",
            "level",
            "grade",
            "baht_per_year",
            "status",
            "note",
            "source",
        ]
