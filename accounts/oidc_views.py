"""Sign-in with ThaiD: go to the provider, come back, sign in the person it names (or say why not).

Both pages answer 404 while OIDC is not configured (settings.OIDC_ISSUER, OIDC_CLIENT_ID).

django-axes counts wrong passwords per username and address; a ThaiD sign-in checks no password,
so it neither counts towards a lockout nor is stopped by one (the person proves who they are to
the provider; the state is single-use and random, so the callback cannot be guessed at). A
successful one is logged in as any sign-in is (axes's access log; with AXES_RESET_ON_SUCCESS it
clears the failed passwords of that username from that address, as a successful password does).
"""

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import login
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from . import services
from .oidc import (
    ID_TOKEN_KEY,
    OIDCRefused,
    oidc_authorize_redirect,
    oidc_enabled,
    oidc_identity,
)

# Where to go after signing in, kept from the login page's ?next= across the visit to the provider.
NEXT_KEY = "dmc_oidc_next"
# Set after a sign-in through the provider that asserted a strong method (settings.OIDC_STRONG_AMR /
# OIDC_STRONG_ACR): the second factor (TOTP) is then not asked again.
STRONG_AUTH_KEY = "dmc_strong_auth"


class OIDCView(View):
    """A page that exists only while a provider is configured."""

    def dispatch(self, request, *args, **kwargs):
        if not oidc_enabled():
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def refused(self, refusal: OIDCRefused, *, citizen_id: str = ""):
        services.oidc_refusal_record(
            refusal=refusal, citizen_id=citizen_id, client_ip=get_client_ip_address(self.request)
        )
        context = {"reason": refusal.reason, "password_login": settings.PASSWORD_LOGIN_ENABLED}
        return render(self.request, "accounts/oidc_refused.html", context, status=403)


class OIDCLoginView(OIDCView):
    """Send the person to ThaiD, with a state, a nonce and a PKCE challenge."""

    def get(self, request):
        next_url = request.GET.get("next", "")
        if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            request.session[NEXT_KEY] = next_url
        else:
            request.session.pop(NEXT_KEY, None)
        callback = request.build_absolute_uri(reverse("oidc_callback"))
        try:
            return oidc_authorize_redirect(request, redirect_uri=callback)
        except OIDCRefused as refusal:
            return self.refused(refusal)


class OIDCCallbackView(OIDCView):
    """Check what ThaiD sent back and sign in the OpenDMC user it names, or refuse with a reason."""

    def get(self, request):
        citizen_id = ""
        try:
            identity = oidc_identity(request)
            citizen_id = identity.citizen_id
            user = services.oidc_user_resolve(citizen_id=citizen_id)
        except OIDCRefused as refusal:
            return self.refused(refusal, citizen_id=citizen_id)
        next_url = request.session.pop(NEXT_KEY, "")
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        # What this sign-in proved, not what an earlier one in this browser did.
        request.session.pop(STRONG_AUTH_KEY, None)
        if identity.strong:
            request.session[STRONG_AUTH_KEY] = True
        # For the sign-out at the provider (views.LogoutView): its id_token_hint.
        request.session[ID_TOKEN_KEY] = identity.id_token
        services.oidc_sign_in_record(
            user=user,
            citizen_id=citizen_id,
            strong=identity.strong,
            client_ip=get_client_ip_address(request),
        )
        return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
