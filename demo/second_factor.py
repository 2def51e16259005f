"""The demo's second factor: the demo logins whose role needs one (area offices, the ID approver,
the ministry) share one authenticator key, printed by `make run` with the password.

A person trying the demo adds that key to an authenticator app once (or runs
`manage.py demo_totp_code`) and signs in as any of those logins, as a real user would after
enrolling: the page after the password asks for the code. Enrolling on first sign-in instead would
send every demo visitor, the browser tests and the count-day benchmark through a QR code first.
The key is public: it is the demo's, like its password, and never used outside seed_demo.
"""

from base64 import b32encode
from binascii import unhexlify

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.permissions import must_use_second_factor

# 20 bytes, hex as django-otp keeps it; base32 for an authenticator app below.
DEMO_TOTP_KEY = "6f70656e646d632d64656d6f2d7365636f6e6421"


def demo_totp_secret() -> str:
    """Return the demo key as an authenticator app takes it (base32)."""
    return b32encode(unhexlify(DEMO_TOTP_KEY)).decode()


def demo_totp_code() -> str:
    """Return the demo authenticator's code now, six digits."""
    return f"{totp(unhexlify(DEMO_TOTP_KEY), step=30, t0=0, digits=6):06d}"


def demo_authenticator(user: User) -> TOTPDevice | None:
    """Give a demo login whose role needs a second factor the demo's authenticator (idempotent)."""
    if not must_use_second_factor(user):
        return None
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "demo authenticator", "key": DEMO_TOTP_KEY}
    )
    return device
