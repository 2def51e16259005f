"""Forms of the people pages: invite, end a role, bulk invitations."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from schools.forms import ThaiDateField
from schools.models import AreaOffice, School

from .models import SCHOOL_ROLES, Role

MAX_BULK_BYTES = 1024 * 1024


class InviteForm(forms.Form):
    """Invite one person to a role: at a school, at an area office, or nationally (ID approvers)."""

    role = forms.ChoiceField(label=_("Role"))
    school_code = forms.CharField(
        label=_("School code"), max_length=10, required=False,
        help_text=_("For a school data officer or a school director"),
    )  # fmt: skip
    area_office = forms.ChoiceField(
        label=_("Area office"), required=False,
        help_text=_("For an area office officer; for a citizen-ID approver, empty means nationwide"),
    )  # fmt: skip
    title = forms.CharField(label=_("Name prefix"), max_length=30, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254)
    citizen_id = forms.CharField(
        label=_("Citizen ID"), max_length=20, required=False,
        help_text=_("Optional: links the account to the person's national sign-in"),
    )  # fmt: skip

    def __init__(self, *args, roles, areas, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Role.choices)
        self.fields["role"].choices = [(r, labels[r]) for r in roles]
        if any(r not in SCHOOL_ROLES for r in roles):
            self.fields["area_office"].choices = [("", "—")] + [
                (a.code, f"{a.code} {a.name_th}") for a in areas.order_by("code")
            ]
        else:  # an area officer gives school roles only
            del self.fields["area_office"]

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if not role:
            return data
        data["school"] = data["area"] = None
        if role in SCHOOL_ROLES:
            code = (data.get("school_code") or "").strip()
            if not code:
                self.add_error("school_code", _("Write the school code."))
            else:
                data["school"] = (
                    School.objects.select_related("area_office").filter(code=code).first()
                )
                if data["school"] is None:
                    self.add_error("school_code", _("Unknown school code."))
        else:
            code = data.get("area_office") or ""
            data["area"] = AreaOffice.objects.filter(code=code).first() if code else None
            if role == Role.AREA_OFFICER and data["area"] is None:
                self.add_error("area_office", _("Choose the area office."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "role": data["role"],
            "school": data["school"],
            "area_office": data["area"],
            "title": data["title"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "email": data["email"],
            "citizen_id": data["citizen_id"],
        }


class EndRoleForm(forms.Form):
    on = ThaiDateField(
        label=_("End date"),
        help_text=_("From this day the person no longer holds the role; other roles stay."),
    )


class BulkInviteForm(forms.Form):
    file = forms.FileField(
        label=_("File (.csv or .xlsx)"),
        help_text=_("Columns: school code, role, name, e-mail; CSV in UTF-8 or TIS-620"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BULK_BYTES:
            raise ValidationError(_("The file is larger than 1 MB."))
        return upload
