"""The health endpoint: each part "ok" or "error"; 503 only when the database does not answer (a
broker or a replica that is down leaves the web node serving); no login, no data, GET only.

When a replica is configured (DATABASE_REPLICA_URL) it is a part too: the tests may then read it."""

import os

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.urls import reverse

# A port nothing listens on: the connection is refused at once.
CLOSED_BROKER = "redis://127.0.0.1:1/0"

pytestmark = pytest.mark.django_db(databases="__all__")


def parts(**states):
    """The expected answer: every part "ok" but those given."""
    expected = {"database": "ok", "broker": "ok"}
    if "replica" in settings.DATABASES:
        expected["replica"] = "ok"
    return {**expected, **states}


def test_healthy_without_login(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == parts()
    assert "no-cache" in response["Cache-Control"]
    assert "sessionid" not in response.cookies
    assert reverse("healthz") == "/healthz/"


def test_broker_down_is_named_but_the_node_still_serves(client, settings):
    settings.CELERY_BROKER_URL = CLOSED_BROKER
    response = client.get(reverse("healthz"))
    # The count day goes on without the broker (tests/faults/test_broker_down.py): a load balancer
    # must not take the node out; a monitor reads which part is down.
    assert response.status_code == 200
    assert response.json() == parts(broker="error")
    # The reason is logged, never shown.
    assert "127.0.0.1" not in response.content.decode()


def test_database_down_is_503_naming_the_database(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "error" and response.json()["broker"] == "ok"
    assert "5432" not in response.content.decode()


def test_both_down(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = CLOSED_BROKER

    def refuse(*args, **kwargs):
        raise OperationalError("down")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "error" and response.json()["broker"] == "error"


def test_only_get(client):
    assert client.post(reverse("healthz")).status_code == 405


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a Redis (REDIS_URL)")
def test_healthy_with_a_real_redis_broker(client, settings):
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == parts()
