"""Browser tests: Debian's Chromium driven by Playwright against the app on a loopback live server.

The server is pytest-django's ``live_server`` (a thread of this process) on a SQLite file, so that
a Celery worker started in another thread of this process sees the same data. Each screenshot is
kept under ``OPENDMC_E2E_ARTIFACTS`` (default ``var/e2e-artifacts/``); those named for the user
guides are also written to ``docs/images/`` so that the guides' pictures never go stale.
"""

import os
import shutil
import threading
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import Error as PlaywrightError

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
def live_server():
    """Serve one request at a time on loopback (pytest-django's server, not threaded).

    The threaded server opens one SQLite connection per request thread; a page that loads many
    pictures at once made the sqlite3 module crash (a segmentation fault) on this machine.
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
def demo(live_server, settings, transactional_db, tmp_path):
    """Load the demo (a count round open all day today) and serve it; return the server's URL."""
    serve_static_files(live_server)
    settings.VERIFY_BASE_URL = live_server.url  # QR codes and e-mailed links point at this server
    settings.DEMO_SAMPLES_DIR = tmp_path / "samples"
    in_thread(call_command, "seed_demo", stdout=StringIO())
    return live_server.url


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
        expect(page).to_have_url(f"{demo}/")
        return page

    yield open_as
    for context in contexts:
        context.close()
