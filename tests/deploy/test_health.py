"""The health endpoint: 200 when the database and the broker answer, 503 naming the one that does
not; no login, no data, GET only."""

import os

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

# A port nothing listens on: the connection is refused at once.
CLOSED_BROKER = "redis://127.0.0.1:1/0"


@pytest.mark.django_db
def test_healthy_without_login(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert "sessionid" not in response.cookies
    assert reverse("healthz") == "/healthz/"


@pytest.mark.django_db
def test_broker_down_is_503_naming_the_broker(client, settings):
    settings.CELERY_BROKER_URL = CLOSED_BROKER
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "error"}
    # The reason is logged, never shown.
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_database_down_is_503_naming_the_database(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"database": "error", "broker": "ok"}
    assert "5432" not in response.content.decode()


@pytest.mark.django_db
def test_both_down(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = CLOSED_BROKER

    def refuse(*args, **kwargs):
        raise OperationalError("down")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"database": "error", "broker": "error"}


@pytest.mark.django_db
def test_only_get(client):
    assert client.post(reverse("healthz")).status_code == 405


@pytest.mark.django_db
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a Redis (REDIS_URL)")
def test_healthy_with_a_real_redis_broker(client, settings):
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
