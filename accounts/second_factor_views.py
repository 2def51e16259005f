"""The second factor's pages: the code after the password, setting up (or replacing) an
authenticator, a new set of recovery codes, and the area office's reset of a school user's factor."""

from base64 import b32encode

import segno
from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from schools.views import form_error

from . import second_factor
from .forms import RecoveryCodesNewForm, SecondFactorCodeForm, TOTPEnrolForm
from .permissions import access_person, can_manage_people, can_reset_second_factor


def next_url(request) -> str:
    """Return the page to go on to: the ``next`` asked for, when it is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def code_refused(view, form, exc: ValidationError):
    """Show the form again with the refusal; a factor locked after too many wrong codes is a 429."""
    form_error(form, exc)
    response = view.form_invalid(form)
    if exc.code == "locked":
        response.status_code = 429
    return response


class SecondFactorVerifyView(LoginRequiredMixin, FormView):
    """Ask for the code of the person's authenticator (or a recovery code) after the password."""

    form_class = SecondFactorCodeForm
    template_name = "accounts/second_factor_verify.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if second_factor.session_is_verified(request.session):
                return redirect(next_url(request))
            if not second_factor.has_second_factor(user=request.user):
                return redirect(reverse("accounts:second_factor_enrol"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=next_url(self.request), **kwargs)

    def form_valid(self, form):
        try:
            second_factor.second_factor_verify(request=self.request, code=form.cleaned_data["code"])
        except ValidationError as exc:
            return code_refused(self, form, exc)
        return redirect(next_url(self.request))


def qr_svg(url: str) -> str:
    """Return the QR code of a URL as inline SVG (no script, no image request: fits the CSP)."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff")


class SecondFactorEnrolView(LoginRequiredMixin, FormView):
    """Set up an authenticator app from a QR code, or replace the one the person has; show the
    recovery codes once."""

    form_class = TOTPEnrolForm
    template_name = "accounts/second_factor_enrol.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not second_factor.session_is_verified(request.session):
            # Replacing an authenticator needs the present one (or a recovery code) first.
            if second_factor.has_second_factor(user=request.user):
                return redirect(
                    reverse("accounts:second_factor_verify")
                    + "?next="
                    + reverse("accounts:second_factor_enrol")
                )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        device = second_factor.totp_enrolment_start(user=self.request.user)
        secret = b32encode(device.bin_key).decode()
        return super().get_context_data(
            qr=qr_svg(device.config_url),
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            replacing=second_factor.has_second_factor(user=self.request.user),
            required=self.request.session.get(second_factor.SESSION_STATE) == second_factor.ENROL,
            next=next_url(self.request),
            **kwargs,
        )

    def form_valid(self, form):
        device = second_factor.totp_enrolment_start(user=self.request.user)
        try:
            enrolment = second_factor.totp_enrolment_confirm(
                request=self.request, device=device, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            form_error(form, exc)
            return self.form_invalid(form)
        response = render(
            self.request,
            "accounts/second_factor_codes.html",
            {"codes": enrolment.recovery_codes, "replaced": enrolment.replaced,
             "next": next_url(self.request)},
        )  # fmt: skip
        response["Cache-Control"] = "no-store"
        return response


class RecoveryCodesNewView(LoginRequiredMixin, FormView):
    """Make a new set of recovery codes after a code from the authenticator; show them once."""

    form_class = RecoveryCodesNewForm
    template_name = "accounts/recovery_codes_new.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            second_factor=second_factor.has_second_factor(user=user),
            recovery_codes_left=second_factor.recovery_codes_left(user=user),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            codes = second_factor.recovery_codes_regenerate(
                request=self.request, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            return code_refused(self, form, exc)
        response = render(
            self.request,
            "accounts/second_factor_codes.html",
            {"codes": codes, "regenerated": True, "next": reverse("accounts:profile")},
        )
        response["Cache-Control"] = "no-store"
        return response


class SecondFactorResetView(LoginRequiredMixin, View):
    """Reset a school user's second factor (their area office, or the ministry)."""

    def post(self, request, public_id):
        if not can_manage_people(request.user):
            raise PermissionDenied
        person = access_person(request.user, public_id)
        if not can_reset_second_factor(request.user, person):
            raise PermissionDenied
        try:
            second_factor.second_factor_reset(
                person=person, actor=request.user, ip_address=get_client_ip_address(request)
            )
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(
                request,
                _(
                    "The second factor of %(name)s is reset: they set up a new one at their next sign-in."
                )
                % {"name": person.display_name},
            )
        return redirect(reverse("people:person", args=[person.public_id]))
