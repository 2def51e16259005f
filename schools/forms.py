from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Grade


class RosterFilterForm(forms.Form):
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
