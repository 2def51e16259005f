"""The broker is not a single point of failure for the count day, with a real Redis stopped mid-run.

Each test starts its own redis-server (port 6390, one more per pytest process; never the shared
Redis on 6379) and points Celery at it, as production does (not eager). Redis is stopped in the
middle of the count day: confirm and certify still succeed with their records signed in the
request; the annex and the e-mails the broker refused wait in the outbox (accounts/outbox.py);
/healthz/ names the broker; once Redis is started again, beat's send_outbox queues them, and the
worker's messages, read back from Redis, render the annex and send the e-mail.
"""

import os
import shutil
import socket
import subprocess
import time

import pytest
from celery import current_app
from django.conf import settings
from django.core import mail
from django.urls import reverse
from kombu import pools

from accounts.models import OutboxTask
from accounts.outbox import outbox_send
from accounts.tasks import send_outbox
from census.models import SchoolRound
from documents.models import Kind, SignedDocument
from schools.models import RosterImport

from ..factories import UserFactory, make_citizen_id
from ..schools.test_roster_import import csv_bytes, line
from ..schools.test_roster_pages import upload
from ..workflows.helpers import at, step

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")

# Starting and answering PING takes milliseconds; this bound only stops a broken install hanging.
START_SECONDS = 30


def _port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return 6390 + int(worker.removeprefix("gw") or 0)


class RedisServer:
    """A redis-server of this test on loopback, without persistence (a restart loses its queue)."""

    def __init__(self, port: int, directory):
        self.port, self.directory, self.process = port, directory, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603 — Debian's redis-server, fixed arguments
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + START_SECONDS
        while not self.answers():
            assert self.process.poll() is None, f"redis-server on port {self.port} exited"
            assert time.monotonic() < deadline, f"redis-server on port {self.port} did not answer"
            time.sleep(0.05)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=START_SECONDS)
        assert not self.answers()


def _forget_connections(app):
    """Drop the app's broker connections: the next send connects to the broker configured now."""
    pools.reset()  # kombu's pools of connections and producers, keyed by broker
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis(tmp_path, settings):
    """A real Redis as the Celery broker of this test, Celery as in production (not eager)."""
    server = RedisServer(_port(), tmp_path)
    assert not server.answers(), f"port {server.port} is taken"
    server.start()
    app = current_app
    changed = {"broker_url": server.url, "task_always_eager": False}
    before = {key: app.conf.changes[key] for key in changed if key in app.conf.changes}
    _forget_connections(app)
    app.conf.update(changed)
    settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER = server.url, False
    yield server
    _forget_connections(app)
    # Back to what the settings say: a value left in app.conf would hide a later test's settings.
    for key in changed:
        app.conf.changes.pop(key, None)
    app.conf.update(before)
    server.stop()


def run_queued(app) -> list[str]:
    """Do what a worker does with the messages queued in Redis: run each task; return their names."""
    ran = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue("celery")
        while True:
            try:
                message = queue.get(timeout=1)
            except queue.Empty:
                break
            name, (args, kwargs, _embed) = message.headers["task"], message.payload
            app.tasks[name].apply(args=args, kwargs=kwargs).get()
            message.ack()
            ran.append(name)
        queue.close()
    return ran


def test_the_count_day_goes_on_with_redis_stopped_and_catches_up_when_it_is_back(
    client, opened, staff, director, time_machine, redis, django_capture_on_commit_callbacks
):
    app = current_app
    time_machine.move_to(at(9, 0), tick=False)
    assert step(client, staff, "prepare").status_code == 302  # step() runs the commit's callbacks

    redis.stop()  # mid-run

    assert step(client, staff, "confirm").status_code == 302
    time_machine.move_to(at(10, 0), tick=False)
    assert step(client, director, "certify", {"decision": "certify"}).status_code == 302
    # The school is certified; its records and the roster annex the broker refused are pending,
    # each kept in the outbox with its reason.
    assert SchoolRound.objects.get().state == SchoolRound.State.CERTIFIED
    documents = SignedDocument.objects.filter(
        kind__in=[Kind.CONFIRMATION, Kind.CERTIFICATION, Kind.ROSTER_ANNEX]
    )
    assert {d.status for d in documents} == {SignedDocument.Status.PENDING}
    assert len(documents) == 3
    kept = {(t.task, tuple(t.args)) for t in OutboxTask.objects.all()}
    assert kept == {
        ("documents.tasks.render_record", (documents.get(kind=Kind.CONFIRMATION).pk,)),
        ("documents.tasks.render_record", (documents.get(kind=Kind.CERTIFICATION).pk,)),
        ("documents.tasks.render_annex", (documents.get(kind=Kind.ROSTER_ANNEX).pk,)),
    }
    assert all(t.error for t in OutboxTask.objects.all())

    # An e-mail asked for meanwhile is kept too (a password reset: the page answers as always).
    somchai = UserFactory(email="somchai@school.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": somchai.email})
    assert response.status_code == 302
    assert OutboxTask.objects.filter(task="accounts.tasks.send_password_reset").exists()

    # The health check names the broker, and the node stays in its load balancer.
    health = client.get(reverse("healthz"))
    assert health.status_code == 200 and health.json()["broker"] == "error"
    assert health.json()["database"] == "ok"

    # Beat's run while Redis is still down queues nothing and loses nothing.
    assert outbox_send() == 0
    assert OutboxTask.objects.count() == 4
    assert OutboxTask.objects.order_by("pk").first().attempts == 2  # the oldest, tried again

    redis.start()  # back, empty: it kept nothing of before; the app reconnects by itself
    assert client.get(reverse("healthz")).json()["broker"] == "ok"
    assert send_outbox.apply().get() == 4  # beat's task, as the worker runs it
    assert not OutboxTask.objects.exists()
    assert sorted(run_queued(app)) == [
        "accounts.tasks.send_password_reset",
        "documents.tasks.render_annex",
        "documents.tasks.render_record",
        "documents.tasks.render_record",
    ]
    for document in documents:
        document.refresh_from_db()
        assert document.status == SignedDocument.Status.READY and document.pages >= 1
        assert len(document.sha256) == 64
    assert [m.to for m in mail.outbox] == [[somchai.email]]


def test_a_task_the_broker_takes_is_not_kept(redis, db, django_capture_on_commit_callbacks):
    from accounts.tasks import mail_queue

    with django_capture_on_commit_callbacks(execute=True):
        mail_queue(subject="เรื่อง", body="ข้อความ", recipients=["a@example.org"])
    assert not OutboxTask.objects.exists()
    assert run_queued(current_app) == ["accounts.tasks.mail_send"]
    assert [m.to for m in mail.outbox] == [["a@example.org"]]


def test_a_roster_file_applied_with_redis_stopped_waits_in_the_outbox(
    client_as, staff, school, other_school, redis, django_capture_on_commit_callbacks
):
    client = client_as(staff)
    detail = upload(client, school, csv_bytes([line(make_citizen_id(), first="ใหม่")]))["Location"]
    redis.stop()
    _forget_connections(current_app)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(detail).status_code == 302  # the page answers: nothing is lost
    roster_import = RosterImport.objects.get()
    assert roster_import.status == RosterImport.Status.QUEUED
    assert list(OutboxTask.objects.values_list("task", "args")) == [
        ("schools.tasks.process_roster_import", [roster_import.pk])
    ]
    redis.start()
    _forget_connections(current_app)
    assert outbox_send() == 1 and not OutboxTask.objects.exists()
    assert run_queued(current_app) == ["schools.tasks.process_roster_import"]
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.DONE


def test_beat_sends_the_outbox_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["send-outbox"]
    assert entry["task"] == send_outbox.name and entry["schedule"] == 60
