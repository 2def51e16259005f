"""API keys made through the service, and a client that sends one."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from api.services import api_key_create


@pytest.fixture
def make_key(db):
    """Return a function that creates a key for a school (by its director) or an area office."""

    def make(*, by, school=None, area_office=None, write=False, name="SchoolMIS", days=30):
        key, secret = api_key_create(
            actor=by,
            name=name,
            expires_at=timezone.now() + timedelta(days=days),
            can_write=write,
            school=school,
            area_office=area_office,
        )
        return key, secret

    return make


@pytest.fixture
def api_client():
    """Return a function that makes a test client sending a key (and a language, if given)."""

    def client_for(secret: str | None, language: str | None = None) -> Client:
        headers = {}
        if secret:
            headers["Authorization"] = f"Bearer {secret}"
        if language:
            headers["Accept-Language"] = language
        return Client(headers=headers)

    return client_for


@pytest.fixture
def school_reader(make_key, director, school):
    return make_key(by=director, school=school)


@pytest.fixture
def school_writer(make_key, director, school):
    return make_key(by=director, school=school, write=True, name="SchoolMIS writer")


@pytest.fixture
def area_reader(make_key, area_officer, area):
    return make_key(by=area_officer, area_office=area, name="Budget system")
