"""What every signed-in request passes: the second factor it owes, and its session's last-seen time."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from .second_factor import (
    ENROL,
    EXEMPT,
    SESSION_STATE,
    VERIFY,
    second_factor_state,
    session_is_verified,
)
from .user_sessions import session_seen

# The pages a session that still owes its second factor may reach, by what it owes.
OPEN_VIEWS = frozenset({"logout", "login", "set_language", "healthz"})
STATE_VIEWS = {
    VERIFY: "accounts:second_factor_verify",
    ENROL: "accounts:second_factor_enrol",
}


class SecondFactorMiddleware:
    """Send a signed-in session that owes its second factor to the page that asks for it.

    A session verified by django-otp, or strongly signed in through OpenID Connect, passes; so
    does one of a person who need not have a factor and has none. The state is kept in the
    session: the pages after sign-in read no table for it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or session_is_verified(request.session):
            return None
        state = request.session.get(SESSION_STATE)
        if state not in (VERIFY, ENROL, EXEMPT):
            state = second_factor_state(user=request.user)
            request.session[SESSION_STATE] = state
        if state == EXEMPT:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if name in OPEN_VIEWS or name == STATE_VIEWS[state]:
            return None
        return redirect(
            f"{reverse(STATE_VIEWS[state])}?{urlencode({'next': request.get_full_path()})}"
        )


class SessionActivityMiddleware:
    """Record each signed-in session's device, address and last-seen time, at most once a minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            session_seen(request=request)
        return self.get_response(request)
