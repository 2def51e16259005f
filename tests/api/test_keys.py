"""API keys: created and revoked by a school's director or an area officer on a page, shown once,
kept as a hash, with a name, an expiry and scopes; every call authenticated by one."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from api.models import ApiKey
from schools.models import AuditEntry

from ..factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def _create(client, place, *, name="SchoolMIS", write=False, expires_on="01/01/2600"):
    data = {"place": place, "name": name, "expires_on": expires_on}
    if write:
        data["can_write"] = "on"
    return client.post(reverse("api_keys"), data)


def test_director_creates_a_school_key_shown_once_and_kept_as_a_hash(client_as, director, school):
    client = client_as(director)
    response = _create(client, f"school:{school.code}", write=True)
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("odmc_") and secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get()
    assert key.school == school and key.can_write and key.name == "SchoolMIS"
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.values().get())
    # The list shows the key's beginning, never the secret again.
    again = client.get(reverse("api_keys")).content.decode()
    assert key.prefix in again and secret not in again


def test_area_officer_creates_an_area_key_that_reads_only(client_as, area_officer, area):
    client = client_as(area_officer)
    refused = _create(client, f"area:{area.code}", write=True)
    assert refused.status_code == 200 and "secret" not in refused.context
    assert not ApiKey.objects.exists()
    response = _create(client, f"area:{area.code}")
    assert response.context["secret"]
    assert ApiKey.objects.get().area_office == area


@pytest.mark.parametrize("persona", ["staff", "other_school_director", "id_approver"])
def test_others_have_no_key_page_for_the_school(request, client_as, persona, school):
    client = client_as(request.getfixturevalue(persona))
    response = client.get(reverse("api_keys"))
    if response.status_code == 200:  # a director elsewhere sees their own school only
        assert f"school:{school.code}" not in response.content.decode()
        assert _create(client, f"school:{school.code}").status_code == 200
        assert not ApiKey.objects.filter(school=school).exists()
    else:
        assert response.status_code == 404


def test_expiry_in_the_past_is_refused(client_as, director, school):
    response = _create(client_as(director), f"school:{school.code}", expires_on="01/01/2500")
    assert response.context["form"].errors
    assert not ApiKey.objects.exists()


def test_key_authenticates_until_revoked(client_as, api_client, director, school, school_reader):
    key, secret = school_reader
    url = reverse("api:school", args=[school.code])
    assert api_client(secret).get(url).status_code == 200
    response = client_as(director).post(reverse("api_key_revoke", args=[key.public_id]))
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_by == director
    refused = api_client(secret).get(url)
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert refused["WWW-Authenticate"].startswith("Bearer")


def test_another_director_cannot_revoke(client_as, other_school_director, school_reader):
    key, _secret = school_reader
    response = client_as(other_school_director).post(
        reverse("api_key_revoke", args=[key.public_id])
    )
    assert response.status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_key_expires_at_its_moment(api_client, school, school_reader):
    key, secret = school_reader
    url = reverse("api:school", args=[school.code])
    with time_machine.travel(key.expires_at - timedelta(seconds=1)):
        assert api_client(secret).get(url).status_code == 200
    with time_machine.travel(key.expires_at):
        assert api_client(secret).get(url).status_code == 401


def test_wrong_or_missing_key_is_refused(api_client, school):
    url = reverse("api:school", args=[school.code])
    assert api_client(None).get(url).status_code == 401
    assert api_client("odmc_not-a-key").get(url).status_code == 401
    assert api_client("someone-elses-token").get(url).status_code == 401


def test_a_session_does_not_open_the_api(client_as, staff, school):
    response = client_as(staff).get(reverse("api:school", args=[school.code]))
    assert response.status_code == 401


def test_key_principal_is_the_audited_actor_with_the_keys_name(school_writer):
    key, _secret = school_writer
    assert "SchoolMIS writer" in key.principal.display_name
    assert not key.principal.has_usable_password()


def test_a_read_key_may_not_write(api_client, school, school_reader):
    _key, secret = school_reader
    enrollment = EnrollmentFactory(school=school)
    response = api_client(secret).post(
        reverse("api:learner_name", args=[school.code, enrollment.student.public_id]),
        {"first_name_th": "ใหม่"},
        content_type="application/json",
        headers={"Idempotency-Key": "k1"},
    )
    assert response.status_code == 403
    assert response.json()["type"] == "urn:opendmc:problem:forbidden"
    assert not AuditEntry.objects.exists()


def test_calls_are_rate_limited_per_key(settings, api_client, school, school_reader, make_key,
                                        director):  # fmt: skip
    settings.API_RATE_LIMIT = "3/min"
    _key, secret = school_reader
    _other, other_secret = make_key(by=director, school=school, name="Other")
    url = reverse("api:school", args=[school.code])
    for _ in range(3):
        assert api_client(secret).get(url).status_code == 200
    limited = api_client(secret).get(url)
    assert limited.status_code == 429
    assert limited.json()["type"] == "urn:opendmc:problem:rate-limited"
    assert int(limited["Retry-After"]) > 0
    assert api_client(other_secret).get(url).status_code == 200


def test_last_used_is_noted_at_most_once_a_minute(api_client, school, school_reader):
    key, secret = school_reader
    url = reverse("api:school", args=[school.code])
    with time_machine.travel(timezone.now(), tick=False) as clock:
        api_client(secret).get(url)
        key.refresh_from_db()
        first = key.last_used_at
        assert first is not None
        clock.shift(timedelta(seconds=59))
        api_client(secret).get(url)
        key.refresh_from_db()
        assert key.last_used_at == first
        clock.shift(timedelta(seconds=1))
        api_client(secret).get(url)
        key.refresh_from_db()
        assert key.last_used_at > first
