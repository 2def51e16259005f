"""Sign in at the test provider over HTTP as a person's browser would, without a browser."""

import re
from urllib.parse import urljoin, urlsplit

import requests

from .accounts import PASSWORD


def provider_sign_in(
    authorize_url: str,
    *,
    username: str,
    password: str = PASSWORD,
    browser: requests.Session | None = None,
) -> str:
    """Follow the provider's pages from its authorize URL; return the URL it sends back to OpenDMC.

    ``browser`` keeps the provider's cookies (its session) for what the test does next."""
    provider = urlsplit(authorize_url).netloc
    browser = browser or requests.Session()
    url, data = authorize_url, None
    for _hop in range(10):
        answer = (
            browser.post(url, data=data, allow_redirects=False, timeout=30)
            if data
            else browser.get(url, allow_redirects=False, timeout=30)
        )
        data = None
        if answer.status_code in (301, 302, 303):
            url = urljoin(url, answer.headers["Location"])
            if urlsplit(url).netloc != provider:
                return url
            continue
        if answer.status_code == 200 and 'name="password"' in answer.text:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', answer.text)[1]
            following = re.search(r'name="next" value="([^"]*)"', answer.text)[1]
            data = {
                "csrfmiddlewaretoken": token,
                "username": username,
                "password": password,
                "next": following.replace("&amp;", "&"),
            }
            continue
        raise AssertionError(f"the provider answered {answer.status_code}: {answer.text[:500]}")
    raise AssertionError("the provider kept redirecting")
