"""Sign in with ThaiD in a browser: a director presses "เข้าสู่ระบบด้วย ThaiD" on the login page,
signs in on the OpenID provider's own page (tests/oidc_provider, a separate process with its own
keys) and lands on OpenDMC's home page, signed in as the OpenDMC user the citizen ID names.
"""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from accounts.models import RoleChange
from tests.factories import make_citizen_id
from tests.oidc_provider.accounts import PASSWORD
from tests.oidc_provider.server import start_provider

from .conftest import VIEWPORT

pytestmark = pytest.mark.e2e

PID = make_citizen_id(770101)


@pytest.fixture
def thaid(demo, settings, tmp_path):
    """Run a provider that knows the demo's director.maerim by a citizen ID, and configure OpenDMC."""
    provider = start_provider(
        tmp_path / "provider",
        redirect_uris=[f"{demo}/accounts/oidc/callback/"],
        post_logout_redirect_uris=[f"{demo}/accounts/login/"],
        accounts={"somchai": {"password": PASSWORD, "claims": {"pid": PID, "amr": ["pwd"]}}},
    )
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = provider.client_id
    settings.OIDC_CLIENT_SECRET = provider.client_secret
    get_user_model().objects.filter(username="director.maerim").update(citizen_id=PID)
    yield demo
    provider.stop()


def test_a_director_signs_in_through_the_providers_login_page(browser, thaid, screens):
    context = browser.new_context(viewport=VIEWPORT, locale="th-TH")
    page = context.new_page()
    page.goto(f"{thaid}/accounts/login/")
    button = page.get_by_role("link", name="เข้าสู่ระบบด้วย ThaiD")
    expect(button).to_be_visible()
    screens(page, "login-thaid")
    button.click()
    # The provider's own page, on its own address.
    expect(page.locator("#provider-username")).to_be_visible()
    page.fill("#provider-username", "somchai")
    page.fill("#provider-password", PASSWORD)
    page.click("#provider-submit")
    expect(page).to_have_url(f"{thaid}/")
    expect(page.locator("body")).to_contain_text("ผู้อำนวยการ")
    entry = RoleChange.objects.get(action=RoleChange.Action.OIDC_SIGNED_IN)
    assert entry.user.username == "director.maerim"
    context.close()
