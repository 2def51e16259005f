"""A person's own account: password reset by e-mail, password change, profile, language switch."""

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, resolve_url
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView
from django.views.i18n import LANGUAGE_QUERY_PARAMETER, set_language

from schools.views import form_error

from . import selectors, services, user_sessions
from .forms import (
    PasswordChangeOwnForm,
    PasswordResetRequestForm,
    PasswordResetSetForm,
    ProfileForm,
)
from .models import UserSession
from .oidc import ID_TOKEN_KEY, oidc_enabled, oidc_end_session_url
from .permissions import must_use_second_factor
from .second_factor import has_second_factor, recovery_codes_left


class LoginView(auth_views.LoginView):
    """Sign in with a password, or with ThaiD: each offered only where the deployment turns it on."""

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and not settings.PASSWORD_LOGIN_ENABLED:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            password_login=settings.PASSWORD_LOGIN_ENABLED, oidc_login=oidc_enabled(), **kwargs
        )

    def form_valid(self, form):
        # A password sign-in is not a strong ThaiD one, even in a session that had one before,
        # and its sign-out stays here.
        self.request.session.pop("dmc_strong_auth", None)
        self.request.session.pop(ID_TOKEN_KEY, None)
        return super().form_valid(form)


def signed_out_redirect(request, *, id_token: str, local):
    """Return where to go once this session is signed out: after a ThaiD sign-in, the provider's
    end of session (which sends the browser back to the login page), else ``local``."""
    url = oidc_end_session_url(
        id_token=id_token,
        post_logout_redirect_uri=request.build_absolute_uri(resolve_url(settings.LOGIN_URL)),
    )
    return redirect(url) if url else local


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, with its CSRF token); after a ThaiD sign-in, at the provider too."""

    def post(self, request, *args, **kwargs):
        # Read before the sign-out flushes the session.
        id_token = request.session.get(ID_TOKEN_KEY, "")
        response = super().post(request, *args, **kwargs)
        return signed_out_redirect(request, id_token=id_token, local=response)


class PasswordLoginOnlyMixin:
    """Answer 404 where the deployment has turned passwords off (ThaiD only)."""

    def dispatch(self, request, *args, **kwargs):
        if not settings.PASSWORD_LOGIN_ENABLED:
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class PasswordResetView(PasswordLoginOnlyMixin, auth_views.PasswordResetView):
    """Ask for a reset link: the same answer whether or not the address has an account."""

    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        try:
            services.password_reset_request(
                email=form.cleaned_data["email"],
                client_ip=get_client_ip_address(self.request),
                domain=self.request.get_host(),
                use_https=self.request.is_secure(),
            )
        except ValidationError as exc:
            form_error(form, exc)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return redirect(self.success_url)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    """Say that a link is on its way if the address has an account."""

    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(hours=settings.PASSWORD_RESET_TIMEOUT // 3600, **kwargs)


class PasswordResetConfirmView(PasswordLoginOnlyMixin, auth_views.PasswordResetConfirmView):
    """Set a new password from a link that is valid, unused and unexpired."""

    form_class = PasswordResetSetForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    """Say that the new password is set and send the person to the login."""

    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password; this session stays signed in, every other one ends."""

    form_class = PasswordChangeOwnForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        old_key = self.request.session.session_key
        response = super().form_valid(form)
        user_sessions.session_keep(request=self.request, old_key=old_key)
        messages.success(self.request, _("Your password is changed. Your other sessions ended."))
        return response


class ProfileView(LoginRequiredMixin, FormView):
    """Show a person their account and roles; let them change their name, e-mail and language."""

    form_class = ProfileForm
    template_name = "accounts/profile.html"

    def get_initial(self):
        user = self.request.user
        return {
            "title": user.title,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "language": user.language or settings.LANGUAGE_CODE,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            memberships=selectors.memberships_of(user=self.request.user),
            sessions=selectors.sessions_of(user=self.request.user),
            current_session=self.request.session.session_key,
            second_factor=has_second_factor(user=self.request.user),
            second_factor_required=must_use_second_factor(self.request.user),
            recovery_codes_left=recovery_codes_left(user=self.request.user),
            today=timezone.localdate(),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            user = services.user_profile_update(user=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            self.request.user.refresh_from_db()
            form_error(form, exc)
            return self.form_invalid(form)
        # The next page speaks the language just chosen: say so in it.
        translation.activate(user.language)
        messages.success(self.request, _("Your details are saved."))
        response = redirect("accounts:profile")
        # This device keeps the language after signing out, too.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response


class SessionsEndView(LoginRequiredMixin, View):
    """Sign the person out of every other device and browser; this one stays signed in."""

    def post(self, request):
        user_sessions.user_sessions_end(
            user=request.user, keep=request.session.session_key, actor=request.user,
            reason="asked", ip_address=get_client_ip_address(request),
        )  # fmt: skip
        user_sessions.session_keep(request=request)
        messages.success(request, _("You are signed out everywhere else."))
        return redirect("accounts:profile")


class SessionEndView(LoginRequiredMixin, View):
    """End one of the person's sessions; ending this one signs out here."""

    def post(self, request, public_id):
        session = get_object_or_404(UserSession, user=request.user, public_id=public_id)
        current = session.session_key == request.session.session_key
        id_token = request.session.get(ID_TOKEN_KEY, "") if current else ""
        user_sessions.user_session_end(
            session=session, actor=request.user, ip_address=get_client_ip_address(request)
        )
        if current:
            logout(request)
            return signed_out_redirect(request, id_token=id_token, local=redirect("login"))
        messages.success(request, _("That session is ended."))
        return redirect("accounts:profile")


def language_switch(request):
    """Switch the language of this device (Django's view) and, when signed in, of the profile."""
    response = set_language(request)
    language = request.POST.get(LANGUAGE_QUERY_PARAMETER, "")
    if request.method == "POST" and request.user.is_authenticated:
        if language in dict(settings.LANGUAGES):
            services.user_language_set(user=request.user, language=language)
    return response
