"""Forms a person fills in about their own account."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from .services import user_password_set


def _languages():
    return settings.LANGUAGES


class ProfileForm(forms.Form):
    """The name, title, e-mail and language a person may change themselves."""

    title = forms.CharField(
        label=_("Name prefix"),
        max_length=30,
        required=False,
        help_text=_("For example: Mr., Mrs., Ms., Dr."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("Password reset links are sent to this address."),
    )
    language = forms.ChoiceField(
        label=_("Language of the pages"),
        choices=_languages,
        error_messages={"invalid_choice": _("Choose a language from the list.")},
        help_text=_("Used after you sign in, on every computer and phone."),
    )


class PasswordResetRequestForm(forms.Form):
    """The e-mail address a reset link is asked for."""

    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class ServicePasswordMixin:
    """Save the new password through the service (its log line), as Django's form would."""

    def save(self, commit=True):
        return user_password_set(user=self.user, password=self.cleaned_data["new_password1"])


class PasswordResetSetForm(ServicePasswordMixin, SetPasswordForm):
    """Set a new password from a reset link."""


class PasswordChangeOwnForm(ServicePasswordMixin, PasswordChangeForm):
    """Change one's own password, knowing the current one."""


class SecondFactorCodeForm(forms.Form):
    """A code from the authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        strip=True,
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class TOTPEnrolForm(forms.Form):
    """The first code of a new authenticator, to show that it is set up right."""

    code = forms.CharField(
        label=_("Code from the app"),
        max_length=10,
        strip=True,
        help_text=_("The 6 digits the app shows now for OpenDMC."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class RecoveryCodesNewForm(TOTPEnrolForm):
    """A code the authenticator shows now (not a recovery code), before new recovery codes."""
