"""Browser tests: Debian's Chromium driven by Playwright against the app on a loopback live server.

The server is pytest-django's ``live_server`` (a thread of this process) on a SQLite file, so that
a Celery worker started in another thread of this process sees the same data. Each screenshot is
kept under ``OPENDMC_E2E_ARTIFACTS`` (default ``var/e2e-artifacts/``); those named for the user
guides are also written to ``docs/images/`` so that the guides' pictures never go stale.
"""

import copy
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.db import connections, transaction
from playwright.sync_api import Error as PlaywrightError

from demo.second_factor import demo_totp_code

# Playwright's sync API runs an event loop in the test thread; the ORM calls of the test itself
# are still synchronous, so Django's async-unsafe guard is lifted for these tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("OPENDMC_CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("OPENDMC_E2E_ARTIFACTS", ROOT / "var" / "e2e-artifacts"))
GUIDE_IMAGES = ROOT / "docs" / "images"
VIEWPORT = {"width": 1280, "height": 800}
# viewflow repeats each message in a snackbar that would cover the page in the pictures.
HIDE = ".mdc-snackbar, vf-snackbar { display: none !important; }"
PASSWORD = "opendmc-demo"  # the demo logins' password (seed_demo)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "e2e" in item.keywords and not CHROMIUM.exists():
            item.add_marker(pytest.mark.skip(reason=f"no {CHROMIUM}: run `make e2e`"))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """Put the SQLite test database in a file: the server and the Celery worker threads share it."""
    database = django_settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("e2e") / "db.sqlite3")


@pytest.fixture(scope="session")
def live_server(django_db_setup):
    """Serve one request at a time on loopback (pytest-django's server, not threaded).

    The threaded server opens one SQLite connection per request thread; a page that loads many
    pictures at once made the sqlite3 module crash (a segmentation fault) on this machine.

    The server starts once the test database is the SQLite file (``django_db_setup``). Started
    before, the database was still named ``:memory:``, so pytest-django handed the server thread the
    test thread's own connection: the server closed it at the end of each request, and a test
    reading the database just as the server finished a request read a closed connection.
    """
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread
    from pytest_django.live_server_helper import LiveServer

    class SerialWSGIServer(WSGIServer):
        def __init__(self, *args, connections_override=None, **kwargs):
            super().__init__(*args, **kwargs)

    threaded, LiveServerThread.server_class = LiveServerThread.server_class, SerialWSGIServer
    try:
        server = LiveServer("localhost")
    finally:
        LiveServerThread.server_class = threaded
    assert not server.thread.connections_override, "the server must open its own connections"
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def demo(live_server, settings, transactional_db, demo_data):
    """Load the demo (a count round open all day today) and serve it; return the server's URL."""
    serve_static_files(live_server)
    settings.VERIFY_BASE_URL = live_server.url  # QR codes and e-mailed links point at this server
    settings.DEMO_SAMPLES_DIR = demo_data.samples
    demo_data.load()
    return live_server.url


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory):
    """The demo, seeded once per run by `seed_demo` and put back whole before each test.

    Each test flushes the database when it ends (it is a transactional test); seeding again took
    half a minute a test. The first test seeds, the rows of every table (and the sequences) are
    kept, and each later test gets exactly those rows back, and the e-mails the demo sent (an ID
    approver's link) in its outbox. The signed records' files stay in the test run's in-memory
    storage, under the names the kept rows point to.
    """
    return DemoData(tmp_path_factory.mktemp("demo"))


class DemoData:
    def __init__(self, folder: Path):
        self.folder = folder
        self.samples = folder / "samples"
        self.kept = None
        self.sent: list = []

    def load(self) -> None:
        connection = connections["default"]
        if self.kept is None:
            in_thread(call_command, "seed_demo", stdout=StringIO())
            self.kept = (keep_sqlite if connection.vendor == "sqlite" else keep_postgresql)(
                connection, self.folder
            )
            self.sent = [copy.copy(message) for message in mail.outbox]
        else:
            (put_back_sqlite if connection.vendor == "sqlite" else put_back_postgresql)(
                connection, self.kept
            )
            mail.outbox.extend(copy.copy(message) for message in self.sent)


def keep_sqlite(connection, folder: Path) -> Path:
    """Copy the whole SQLite database (its sqlite_sequence too) aside with SQLite's backup API."""
    copy = folder / "seeded.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(copy) as target:
        connection.connection.backup(target)
    return copy


def put_back_sqlite(connection, copy: Path) -> None:
    """Copy the kept database over the test database, page by page, through its open connection."""
    connection.ensure_connection()
    with sqlite3.connect(copy) as source:
        source.backup(connection.connection)


def keep_postgresql(connection, folder: Path) -> dict:
    """Keep every table's rows (COPY, binary) and every sequence's position."""
    tables = [t for t in connection.introspection.table_names() if t != "django_migrations"]
    kept = {"tables": {}, "sequences": {}}
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for table in tables:
            with raw.copy(f'COPY "{table}" TO STDOUT (FORMAT BINARY)') as copy:
                kept["tables"][table] = b"".join(bytes(block) for block in copy)
        raw.execute(
            "SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences"
            " WHERE schemaname = current_schema()"
        )
        kept["sequences"] = dict(raw.fetchall())
    return kept


def put_back_postgresql(connection, kept: dict) -> None:
    """Empty every table and copy the kept rows and sequence positions back, in one transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute("SET CONSTRAINTS ALL DEFERRED")
        raw.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in kept["tables"]) + " CASCADE")
        for table, rows in kept["tables"].items():
            with raw.copy(f'COPY "{table}" FROM STDIN (FORMAT BINARY)') as copy:
                copy.write(rows)
        for sequence, position in kept["sequences"].items():
            # A sequence never used (last_value NULL) starts again at 1.
            raw.execute(
                "SELECT setval(%s, %s, %s)", [sequence, position or 1, position is not None]
            )


def serve_static_files(live_server) -> None:
    """Serve the app's static files from their finders, as runserver does.

    pytest-django looks for the literal "django.contrib.staticfiles" in INSTALLED_APPS; the project
    installs it through an AppConfig subclass, so the live server would only serve STATIC_ROOT.
    """
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    httpd = live_server.thread.httpd
    app = httpd.get_app()
    if not isinstance(app, StaticFilesHandler):
        httpd.set_app(StaticFilesHandler(app.application))


def in_thread(function, *args, **kwargs):
    """Run a function in a thread of its own: Playwright's event loop runs in the test's thread,
    and signing a record (pyHanko) starts an event loop of its own."""
    outcome = {}

    def run():
        try:
            outcome["result"] = function(*args, **kwargs)
        except BaseException as exc:  # handed back to the test below
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


@pytest.fixture
def celery_worker(settings) -> Iterator:
    """Return a function that starts a real Celery worker thread; queued tasks wait until then."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.conf.task_always_eager = False
    contexts = []

    def start():
        context = start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING")
        context.__enter__()
        contexts.append(context)

    yield start
    for context in contexts:
        context.__exit__(None, None, None)
    app.conf.task_always_eager = True


class Screens:
    """Take numbered screenshots: every one as an artefact, the guide's ones also into docs/."""

    def __init__(self, test_name: str):
        self.folder = ARTIFACTS / test_name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0
        self.taken: list[str] = []

    def __call__(self, page, name: str, *, guide: bool = True, full_page: bool = False) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        # A click may have started a navigation: photograph the page it leads to, once loaded.
        page.wait_for_load_state("load")
        try:
            page.screenshot(
                path=path, full_page=full_page, animations="disabled", caret="hide", style=HIDE
            )
        except PlaywrightError:  # "Unable to capture screenshot" while the page was replaced
            page.wait_for_load_state("load")
            page.screenshot(
                path=path, full_page=full_page, animations="disabled", caret="hide", style=HIDE
            )
        self.taken.append(name)
        if guide and os.environ.get("OPENDMC_E2E_GUIDE_IMAGES", "1") != "0":
            GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
            small_png(path, GUIDE_IMAGES / f"{name}.png")
        return path

    def keep(self, png: Path, name: str) -> None:
        """Keep a picture made otherwise (a record's page) with the guide's pictures."""
        self.taken.append(name)
        if os.environ.get("OPENDMC_E2E_GUIDE_IMAGES", "1") != "0":
            GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
            small_png(png, GUIDE_IMAGES / f"{name}.png")


def small_png(source: Path, target: Path) -> None:
    """Write a palette PNG of a screenshot: a fifth of the size, still sharp for text."""
    from PIL import Image

    with Image.open(source) as image:
        image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(
            target, optimize=True
        )


@pytest.fixture
def screens(request) -> Screens:
    return Screens(request.node.name)


_CODE_STEPS: dict[str, int] = {}


def demo_code_unused(username: str) -> str:
    """Return the demo authenticator's code for a login, waiting for the next 30-second step when
    this login already used the present one (a code is accepted once)."""
    step = int(time.time()) // 30
    if _CODE_STEPS.get(username, -1) >= step:
        time.sleep((step + 1) * 30 - time.time() + 0.5)
        step = int(time.time()) // 30
    _CODE_STEPS[username] = step
    return demo_totp_code()


@pytest.fixture
def sign_in(browser, demo):
    """Return a function that opens a fresh browser session signed in as a demo login."""
    from playwright.sync_api import expect

    contexts = []

    def open_as(
        username: str, *, screens: Screens | None = None, shot: str = "", viewport: dict = VIEWPORT
    ):
        context = browser.new_context(viewport=viewport, locale="th-TH", accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # noqa: B010 - what the browser console reports, checked by the tests
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.goto(f"{demo}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        if screens and shot:
            screens(page, shot)
        page.click("form.dmc-login button[type=submit]")
        if "/accounts/second-factor/" in page.url:
            # The demo's area, approver and ministry logins: the code of the demo authenticator.
            page.fill("#id_code", demo_code_unused(username))
            page.click("#second-factor-form button[type=submit]")
        expect(page).to_have_url(f"{demo}/")
        return page

    yield open_as
    for context in contexts:
        context.close()
