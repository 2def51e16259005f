from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from .models import Building, BuildingPhoto, SchoolLand
from .services import check_building

# Bounds a real building or plot stays within; they also keep every value inside its column
# (rooms are a smallint): the form is never saved through the model, so its fields carry them.
# The year built is bounded by the service's own check, which clean() runs.
MAX_ROOMS = 200
MAX_RAI = 100_000


class BuildingForm(forms.ModelForm):
    """A building's figures; the service validates them again and saves."""

    BOUNDS = {"rooms_design": (0, MAX_ROOMS), "rooms_in_use": (0, MAX_ROOMS)}

    class Meta:
        model = Building
        fields = [
            "kind", "name", "design_code", "year_built", "rooms_design", "rooms_in_use",
            "special_rooms", "floor_area_m2", "cost_baht", "funding", "condition", "in_use",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (low, high) in self.BOUNDS.items():
            field = self.fields[name]
            field.min_value, field.max_value = low, high
            field.validators += [MinValueValidator(low), MaxValueValidator(high)]
            field.widget.attrs.update(min=low, max=high)

    def clean(self):
        """Show the service's checks with the field checks, every wrong field at once."""
        cleaned = super().clean()
        try:
            check_building(fields=cleaned)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                if name not in self.errors:
                    self.add_error(name, messages)
        return cleaned

    def _post_clean(self):
        # The form is never saved: the service validates (naming each field) and writes.
        return None


class PhotoForm(forms.Form):
    side = forms.ChoiceField(label=_("Side"), choices=BuildingPhoto.Side.choices)
    file = forms.FileField(
        label=_("Photo"), help_text=_("JPEG or PNG, at most 5 MB; a new photo replaces that side's")
    )


class LandForm(forms.Form):
    rai = forms.IntegerField(label=_("Rai"), min_value=0, max_value=MAX_RAI, required=False)
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
