"""What the test client's force_login stands for here: a finished sign-in, second factor included.

A persona whose role needs a second factor (OPENDMC_SECOND_FACTOR_ROLES) gets a real TOTP device
and its session is verified through django-otp's own login (django_otp.login), as the code page
does after a right code; the session's device and last-seen time are recorded as the middleware
records them. The tests of the sign-in itself (tests/accounts/test_second_factor.py) go through
the login and code pages instead.
"""

from django.http import HttpRequest
from django.test import Client
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.second_factor import EXEMPT, SESSION_STATE, VERIFY, second_factor_state
from accounts.user_sessions import session_seen

TEST_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36 (test client)"


def authenticator_for(user) -> TOTPDevice:
    """Return the user's confirmed TOTP device, made (with a random secret) if there is none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def sign_in_complete(client: Client, user) -> None:
    """Finish a forced sign-in: the second factor the user's roles need, and the session's row."""
    request = HttpRequest()
    request.session = client.session
    request.user = user
    request.META.update(REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT=TEST_USER_AGENT)
    if second_factor_state(user=user) == EXEMPT:
        request.session[SESSION_STATE] = EXEMPT
    else:
        otp_login(request, authenticator_for(user))
        request.session[SESSION_STATE] = VERIFY
    session_seen(request=request)
    request.session.save()
