"""Sign-in with ThaiD against a real OpenID provider (tests/oidc_provider) run as its own process.

The provider signs its ID tokens with its own RSA key and publishes its JWKS; the "bad" accounts
make it misbehave as a broken or hostile provider would (another key, another audience, a token
already expired). The person's browser is the Django test client on OpenDMC's side and a
requests session on the provider's side.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from accounts.models import RoleChange
from schools.identifiers import mask_citizen_id
from tests.oidc_provider.accounts import ACCOUNTS, DIRECTOR_PID, STRANGER_PID
from tests.oidc_provider.browserless import provider_sign_in
from tests.oidc_provider.server import start_provider

CALLBACK = "http://testserver/accounts/oidc/callback/"
LOGIN_PAGE = "http://testserver/accounts/login/"


@pytest.fixture(scope="session")
def provider(tmp_path_factory):
    running = start_provider(
        tmp_path_factory.mktemp("oidc-provider"),
        redirect_uris=[CALLBACK],
        post_logout_redirect_uris=[LOGIN_PAGE],
        accounts=ACCOUNTS,
    )
    yield running
    running.stop()


@pytest.fixture
def oidc(db, settings, provider):
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = provider.client_id
    settings.OIDC_CLIENT_SECRET = provider.client_secret
    settings.OIDC_SCOPES = ["openid", "pid"]
    return provider


@pytest.fixture
def thaid_director(director):
    director.citizen_id = DIRECTOR_PID
    director.save(update_fields=["citizen_id"])
    return director


def start(client, next_url: str = "") -> str:
    """Press "Sign in with ThaiD"; return the provider's authorize URL OpenDMC sent the browser to."""
    answer = client.get(reverse("oidc_login"), {"next": next_url} if next_url else {})
    assert answer.status_code == 302
    return answer["Location"]


def come_back(client, callback_url: str):
    """Follow the provider's redirect back to OpenDMC's callback."""
    parts = urlsplit(callback_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return client.get(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})


def sign_in(client, username: str, next_url: str = ""):
    return come_back(client, provider_sign_in(start(client, next_url), username=username))


def refusals(reason: str):
    return RoleChange.objects.filter(action=RoleChange.Action.OIDC_REFUSED, details__reason=reason)


def test_the_authorize_request_carries_state_nonce_and_a_pkce_challenge(client, oidc):
    query = parse_qs(urlsplit(start(client)).query)
    assert query["client_id"] == [oidc.client_id]
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["openid pid"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20


def test_director_signs_in_with_thaid(client, oidc, thaid_director):
    answer = sign_in(client, "director", next_url="/accounts/profile/")
    assert answer.status_code == 302 and answer["Location"] == "/accounts/profile/"
    page = client.get("/accounts/profile/")
    assert page.status_code == 200 and page.context["user"] == thaid_director
    # amr "pwd" alone is no second factor.
    assert "dmc_strong_auth" not in client.session
    entry = RoleChange.objects.get(action=RoleChange.Action.OIDC_SIGNED_IN)
    assert entry.user == thaid_director and entry.actor == thaid_director
    assert entry.details["strong"] is False
    assert entry.details["citizen_id"] == mask_citizen_id(DIRECTOR_PID)
    assert DIRECTOR_PID not in str(entry.details)


def test_a_next_address_on_another_host_is_dropped(client, oidc, thaid_director):
    answer = sign_in(client, "director", next_url="https://evil.example/")
    assert answer.status_code == 302 and answer["Location"] == reverse("home")


@pytest.mark.parametrize("username", ["director.mfa", "director.ial"])
def test_a_strong_method_asserted_by_the_provider_marks_the_session(
    client, oidc, settings, thaid_director, username
):
    settings.OIDC_STRONG_ACR = ["urn:thaid:ial:2.3"]
    answer = sign_in(client, username)
    assert answer.status_code == 302
    assert client.session["dmc_strong_auth"] is True
    entry = RoleChange.objects.get(action=RoleChange.Action.OIDC_SIGNED_IN)
    assert entry.details["strong"] is True


def test_an_acr_not_listed_as_strong_leaves_the_session_unmarked(client, oidc, thaid_director):
    assert sign_in(client, "director.ial").status_code == 302
    assert "dmc_strong_auth" not in client.session


@pytest.mark.parametrize(
    ("username", "reason"),
    [
        ("forged", "signature"),
        ("elsewhere", "audience"),
        ("late", "expired"),
        ("nopid", "no_citizen_id"),
        ("stranger", "unknown_citizen_id"),
    ],
)
def test_a_bad_answer_is_refused_with_a_clear_page_and_audited(
    client, oidc, thaid_director, username, reason
):
    answer = sign_in(client, username)
    assert answer.status_code == 403
    assert answer.context["reason"] == reason
    assert "_auth_user_id" not in client.session
    assert refusals(reason).count() == 1
    assert not RoleChange.objects.filter(action=RoleChange.Action.OIDC_SIGNED_IN).exists()


def test_an_unknown_citizen_id_is_told_to_ask_the_area_office_in_thai(client, oidc, thaid_director):
    answer = sign_in(client, "stranger")
    text = answer.content.decode()
    assert "สำนักงานเขตพื้นที่" in text and "เชิญ" in text
    entry = refusals("unknown_citizen_id").get()
    assert entry.user is None
    assert STRANGER_PID not in str(entry.details)


def test_no_user_and_no_role_is_created_for_an_unknown_citizen_id(
    client, oidc, thaid_director, django_user_model
):
    users = django_user_model.objects.count()
    sign_in(client, "stranger")
    assert django_user_model.objects.count() == users


def test_the_email_address_is_never_the_link(client, oidc, director, django_user_model):
    # The director has no citizen ID on the profile: the same person at ThaiD is a stranger.
    answer = sign_in(client, "director")
    assert answer.status_code == 403 and answer.context["reason"] == "unknown_citizen_id"


def test_a_replayed_state_is_refused(client, oidc, thaid_director):
    callback = provider_sign_in(start(client), username="director")
    assert come_back(client, callback).status_code == 302
    client.logout()
    again = come_back(client, callback)
    assert again.status_code == 403 and again.context["reason"] == "state"
    assert refusals("state").count() == 1


def test_a_callback_started_in_another_browser_is_refused(client, oidc, thaid_director):
    callback = provider_sign_in(start(Client()), username="director")
    answer = come_back(client, callback)
    assert answer.status_code == 403 and answer.context["reason"] == "state"


def test_an_error_from_the_provider_is_refused_and_audited(client, oidc):
    start(client)
    state = next(k for k in client.session.keys() if k.startswith("_state_thaid_")).split("_")[-1]
    answer = client.get(reverse("oidc_callback"), {"error": "access_denied", "state": state})
    assert answer.status_code == 403 and answer.context["reason"] == "provider_error"
    assert refusals("provider_error").get().details["detail"] == "access_denied"


def test_a_deactivated_user_is_refused(client, oidc, thaid_director):
    thaid_director.is_active = False
    thaid_director.save(update_fields=["is_active"])
    answer = sign_in(client, "director")
    assert answer.status_code == 403 and answer.context["reason"] == "inactive"
    assert refusals("inactive").get().user == thaid_director


def test_a_user_without_a_role_today_is_refused(client, oidc, thaid_director):
    thaid_director.memberships.update(ends_on="2021-01-01")
    answer = sign_in(client, "director")
    assert answer.status_code == 403 and answer.context["reason"] == "no_role"
    assert "_auth_user_id" not in client.session


def test_thaid_refusals_count_no_failed_password(client, oidc, thaid_director):
    sign_in(client, "stranger")
    sign_in(client, "forged")
    assert not AccessAttempt.objects.exists()


def test_a_password_lockout_does_not_stop_thaid(client, oidc, settings, thaid_director):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "director", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "director", "password": "pw"})
    assert locked.status_code == 429
    assert sign_in(client, "director").status_code == 302
    assert client.get("/accounts/profile/").status_code == 200


def test_an_unreachable_provider_is_a_clear_page_not_an_error(client, db, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9/o"  # the discard port: nothing listens
    settings.OIDC_CLIENT_ID = "opendmc"
    answer = client.get(reverse("oidc_login"))
    assert answer.status_code == 403 and answer.context["reason"] == "unavailable"
    assert refusals("unavailable").count() == 1


def test_without_oidc_settings_the_button_is_hidden_and_the_routes_are_404(client, db):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'id="thaid-login"' not in page.content.decode()
    assert client.get(reverse("oidc_login")).status_code == 404
    assert client.get(reverse("oidc_callback"), {"code": "x", "state": "y"}).status_code == 404


def test_the_login_page_offers_thaid_beside_the_password_form(client, oidc):
    page = client.get(reverse("login"), {"next": "/accounts/profile/"}).content.decode()
    assert "เข้าสู่ระบบด้วย ThaiD" in page
    assert 'href="/accounts/oidc/login/?next=/accounts/profile/"' in page
    assert 'name="password"' in page


def test_a_deployment_may_turn_passwords_off(client, oidc, settings, director):
    settings.PASSWORD_LOGIN_ENABLED = False
    page = client.get(reverse("login")).content.decode()
    assert 'name="password"' not in page and 'id="thaid-login"' in page
    answer = client.post(reverse("login"), {"username": "director", "password": "pw"})
    assert answer.status_code == 404 and "_auth_user_id" not in client.session
    assert client.get(reverse("accounts:password_reset")).status_code == 404
    assert client.get("/admin/login/")["Location"].startswith(reverse("login"))


# --- signing out at the provider too (RP-Initiated Logout) ---------------------------------------
def at_provider(browser: requests.Session, url: str) -> requests.Response:
    return browser.get(url, allow_redirects=False, timeout=30)


def test_signing_out_after_thaid_ends_the_providers_session_and_lands_on_the_login_page(
    client, oidc, thaid_director
):
    browser = requests.Session()  # the person's browser at the provider: its cookies
    callback = provider_sign_in(start(client), username="director", browser=browser)
    assert come_back(client, callback).status_code == 302
    id_token = client.session["dmc_oidc_id_token"]
    # While the provider's session lasts, a new authorize goes straight back to OpenDMC.
    assert at_provider(browser, start(Client())).headers["Location"].startswith(CALLBACK)

    answer = client.post(reverse("logout"))

    assert "_auth_user_id" not in client.session
    end = urlsplit(answer["Location"])
    assert answer.status_code == 302
    assert f"{end.scheme}://{end.netloc}{end.path}" == f"{oidc.issuer}/logout/"
    assert parse_qs(end.query) == {
        "id_token_hint": [id_token],
        "post_logout_redirect_uri": [LOGIN_PAGE],
        "client_id": [oidc.client_id],
    }
    back = at_provider(browser, answer["Location"])
    assert back.status_code == 302 and back.headers["Location"] == LOGIN_PAGE
    assert client.get(urlsplit(LOGIN_PAGE).path).status_code == 200
    # The provider's session is over: a new authorize asks for the provider's login again.
    again = at_provider(browser, start(Client()))
    assert again.status_code == 302 and urlsplit(again.headers["Location"]).path == "/login/"


def test_logout_stays_post_with_its_csrf_token(oidc, thaid_director):
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, "director").status_code == 302
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 403
    assert "_auth_user_id" in client.session


def test_a_password_sign_out_does_not_go_to_the_provider(client, oidc, director):
    client.post(reverse("login"), {"username": "director", "password": "pw"})
    assert "_auth_user_id" in client.session
    answer = client.post(reverse("logout"))
    assert answer.status_code == 302 and answer["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_a_password_sign_in_after_thaid_in_the_same_browser_signs_out_locally(
    client, oidc, thaid_director
):
    assert sign_in(client, "director").status_code == 302
    client.post(reverse("login"), {"username": "director", "password": "pw"})
    assert "dmc_oidc_id_token" not in client.session
    assert client.post(reverse("logout"))["Location"] == reverse("login")


def test_a_setting_keeps_the_sign_out_local(client, oidc, settings, thaid_director):
    settings.OIDC_LOGOUT_AT_PROVIDER = False
    assert sign_in(client, "director").status_code == 302
    answer = client.post(reverse("logout"))
    assert answer.status_code == 302 and answer["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_ending_this_session_on_the_profile_signs_out_at_the_provider_too(
    client, oidc, thaid_director
):
    assert sign_in(client, "director").status_code == 302
    row = client.get("/accounts/profile/").context["sessions"][0]
    answer = client.post(reverse("accounts:session_end", args=[row.public_id]))
    assert answer["Location"].startswith(f"{oidc.issuer}/logout/?id_token_hint=")
    assert "_auth_user_id" not in client.session


@pytest.fixture(scope="module")
def provider_without_logout(tmp_path_factory):
    running = start_provider(
        tmp_path_factory.mktemp("oidc-provider-no-logout"),
        redirect_uris=[CALLBACK],
        accounts=ACCOUNTS,
        rp_logout=False,
    )
    yield running
    running.stop()


def test_a_provider_without_an_end_session_endpoint_gets_a_local_sign_out(
    client, db, settings, provider_without_logout, thaid_director
):
    settings.OIDC_ISSUER = provider_without_logout.issuer
    settings.OIDC_CLIENT_ID = provider_without_logout.client_id
    settings.OIDC_CLIENT_SECRET = provider_without_logout.client_secret
    settings.OIDC_SCOPES = ["openid", "pid"]
    assert sign_in(client, "director").status_code == 302
    answer = client.post(reverse("logout"))
    assert answer.status_code == 302 and answer["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_the_pages_content_policy_lets_the_log_out_form_go_on_to_the_provider(
    client, oidc, settings, thaid_director
):
    # Browsers hold a form's redirect to an origin its page's form-action does not name.
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(oidc.issuer))
    assert sign_in(client, "director").status_code == 302
    policy = client.get("/accounts/profile/")["Content-Security-Policy"]
    assert f"form-action 'self' {origin};" in policy
    settings.OIDC_LOGOUT_AT_PROVIDER = False
    assert "form-action 'self';" in client.get("/accounts/profile/")["Content-Security-Policy"]


def test_without_oidc_the_content_policy_keeps_forms_on_this_site(client, db):
    assert "form-action 'self';" in client.get(reverse("login"))["Content-Security-Policy"]
