"""Fuzz the ThaiD callback: whatever query a browser (or an attacker) sends back, it is refused
with the clear page and one audit entry, never a server error and never a sign-in. No sign-in was
started in this browser, so no state matches and the provider is never asked (its address is the
discard port: a request to it would be refused as "unavailable", which the test would see)."""

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import example, given, settings
from hypothesis import strategies as st

from accounts.models import RoleChange

from .strategies import examples, hostile_text

PARAMS = ["code", "state", "error", "error_description", "session_state", "iss"]


@pytest.fixture
def configured(db, settings):  # noqa: F811 - pytest-django's settings fixture, not hypothesis'
    settings.OIDC_ISSUER = "http://127.0.0.1:9/o"
    settings.OIDC_CLIENT_ID = "opendmc"


@settings(max_examples=examples(40))
@given(query=st.dictionaries(st.sampled_from(PARAMS), hostile_text, max_size=5))
@example(query={})
@example(query={"code": "x", "state": "None"})
@example(query={"error": "access_denied"})
def test_any_callback_query_is_refused_cleanly(client, configured, query):
    with transaction.atomic():
        response = client.get(reverse("oidc_callback"), query)
        assert response.status_code == 403
        assert response.context["reason"] in {"state", "provider_error"}
        assert "_auth_user_id" not in client.session
        assert RoleChange.objects.filter(action=RoleChange.Action.OIDC_REFUSED).count() == 1
        transaction.set_rollback(True)
