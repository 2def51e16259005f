"""Security headers on every response, and CSRF on every POST."""

from django.test import Client
from django.urls import reverse


def test_pages_carry_a_content_security_policy_and_deny_framing(client, staff):
    client.force_login(staff)
    response = client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_post_without_the_csrf_token_is_refused(staff, school):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(reverse("schools:add", args=[school.code]), {"identifier": "1"})
    assert response.status_code == 403


def test_sessions_end_with_the_browser_and_after_eight_hours(settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
