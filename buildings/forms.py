from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Building, BuildingPhoto, SchoolLand


class BuildingForm(forms.ModelForm):
    """A building's figures; the service validates them again and saves."""

    class Meta:
        model = Building
        fields = [
            "kind", "name", "design_code", "year_built", "rooms_design", "rooms_in_use",
            "special_rooms", "floor_area_m2", "cost_baht", "funding", "condition", "in_use",
        ]  # fmt: skip

    def _post_clean(self):
        # The form is never saved: the service validates (naming each field) and writes.
        return None


class PhotoForm(forms.Form):
    side = forms.ChoiceField(label=_("Side"), choices=BuildingPhoto.Side.choices)
    file = forms.FileField(
        label=_("Photo"), help_text=_("JPEG or PNG, at most 5 MB; a new photo replaces that side's")
    )


class LandForm(forms.Form):
    rai = forms.IntegerField(label=_("Rai"), min_value=0, required=False)
    ngan = forms.IntegerField(label=_("Ngan"), min_value=0, max_value=3, required=False)
    square_wa = forms.DecimalField(
        label=_("Square wa"), min_value=0, max_digits=5, decimal_places=1, required=False
    )
    area_m2 = forms.DecimalField(
        label=_("Or the area in m²"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("Used when rai, ngan and square wa are empty"),
    )
    document = forms.ChoiceField(label=_("Ownership document"), choices=SchoolLand.Document.choices)
    document_number = forms.CharField(label=_("Document number"), max_length=60, required=False)
