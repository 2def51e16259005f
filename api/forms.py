"""The form of the API keys page."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools.forms import ThaiDateField


class ApiKeyForm(forms.Form):
    """Create a key: for which place, its name, its expiry and whether it may write."""

    place = forms.ChoiceField(label=_("For"))
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("The system that will use it, e.g. SchoolMIS."),
    )
    expires_on = ThaiDateField(
        label=_("Expires on"), help_text=_("The key stops working at the start of this day.")
    )
    can_write = forms.BooleanField(
        label=_("May write (add learners, edit classes and names, weight and height, requests)"),
        required=False,
        help_text=_("A school's key only. Without it the key only reads."),
    )

    def __init__(self, *args, schools, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.places = {f"school:{s.code}": s for s in schools} | {
            f"area:{a.code}": a for a in areas
        }
        self.fields["place"].choices = [
            (key, f"{place.name_th} ({place.code})") for key, place in self.places.items()
        ]
        self.fields["expires_on"].initial = timezone.localdate() + timedelta(days=365)

    def clean(self):
        data = super().clean()
        place = self.places.get(data.get("place", ""))
        data["school"] = place if data.get("place", "").startswith("school:") else None
        data["area_office"] = place if data.get("place", "").startswith("area:") else None
        if data.get("expires_on"):
            data["expires_at"] = timezone.make_aware(datetime.combine(data["expires_on"], time.min))
        return data
