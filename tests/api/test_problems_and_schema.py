"""Errors as RFC 9457 problem details in the caller's language; the schema and its page."""

import pytest
from django.test import Client
from django.urls import reverse

from api.problems import language_from_header

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("", "th"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("fr, en;q=0.5, th;q=0.8", "th"),
        ("de", "th"),
        ("en;q=0", "th"),
        ("en;q=bad, th", "th"),
    ],
)
def test_language_follows_accept_language_thai_by_default(header, language):
    assert language_from_header(header) == language


def test_not_found_is_a_problem_in_thai_by_default(api_client, school_reader):
    _key, secret = school_reader
    response = api_client(secret).get(reverse("api:school", args=["9999999999"]))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:opendmc:problem:not-found" and body["status"] == 404
    assert body["title"] == "ไม่พบ"
    assert response["Content-Language"] == "th"


def test_not_found_in_english_when_asked(api_client, school_reader):
    _key, secret = school_reader
    response = api_client(secret, "en").get(reverse("api:school", args=["9999999999"]))
    assert response.json()["title"] == "Not found."
    assert response["Content-Language"] == "en"


def test_missing_key_is_a_problem_in_the_asked_language(api_client):
    response = api_client(None, "en").get(reverse("api:schools"))
    assert response.status_code == 401
    assert response.json() == {
        "type": "urn:opendmc:problem:unauthenticated",
        "title": "An API key is needed.",
        "status": 401,
        "detail": response.json()["detail"],
    }


def test_bad_query_lists_the_field(api_client, school, school_reader):
    _key, secret = school_reader
    response = api_client(secret, "en").get(
        reverse("api:roster", args=[school.code]), {"updated_since": "yesterday"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "urn:opendmc:problem:invalid"
    assert body["errors"][0]["field"] == "updated_since"


def test_schema_is_public_and_describes_every_route():
    response = Client().get(reverse("api:schema"), headers={"Accept": "application/json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/schools/{code}/learners/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def test_docs_page_loads_only_this_sites_scripts_under_the_csp():
    response = Client().get(reverse("api:docs"))
    assert response.status_code == 200
    body = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "<script>" not in body  # no inline script: the CSP would block it
    assert "cdn" not in body.lower() and "https://" not in body
    for src in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f"/static/drf_spectacular_sidecar/swagger-ui-dist/{src}" in body
    script = Client().get(reverse("api:docs") + "?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()
