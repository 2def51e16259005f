"""Every page of the project, read by axe-core (WCAG 2.1 A and AA) as the persona who may open it.

The pages come from the URL resolver (tests/e2e/pages.py), filled with each persona's own objects;
each pattern is read at desktop size by every persona below who may open it (on SQLite; once, by
the first, on PostgreSQL), in one browser session per persona, and narrowed once to a phone's
width: nothing may stick out sideways and every button must be a finger's size. A pattern that
nobody opens must be explained in pages.EXCLUDED.
"""

import re
import time
from pprint import pformat

import pytest
from django.core import mail
from django.db import connection

from accounts.models import User

from .accessibility import (
    DESKTOP,
    PHONE,
    axe_script,
    axe_violations,
    phone_problems,
    scroll_box_problems,
    settle,
)
from .conftest import in_thread
from .pages import EXCLUDED, excluded, pages_of, project_patterns

pytestmark = pytest.mark.e2e

# The demo's personas, the pages of each role read by the first who may open them. None: nobody
# signed in (the log-in page, a record's public verify page).
PERSONAS = (None, "staff.maerim", "director.pongyaeng", "area.cm1", "approver", "admin")

# axe reads each pattern as every persona who may open it (their menus and objects differ) on
# SQLite; the PostgreSQL run, there for the database, reads each pattern once, as its first persona.
EVERY_PERSONA = connection.vendor == "sqlite"

# Serious or critical violations from others' markup (viewflow's, Swagger UI's) that our
# templates and CSS cannot fix: (rule id, pattern). The test fails when one no longer occurs.
KNOWN: set[tuple[str, str]] = {
    # The API's Swagger page is Swagger UI's own markup, drawn by its script for developers: its
    # version stamps' grey, and a copy button inside each operation's summary button.
    ("color-contrast", "api/v1/docs/"),
    ("nested-interactive", "api/v1/docs/"),
}
# Pages whose buttons are others' (Swagger UI's) and not sized for a finger on a phone.
PHONE_KNOWN = {"api/v1/docs/"}
# Pages a script draws after the load event, and what shows it has: read before then, the Swagger
# page is an empty box (a loaded machine fetches the schema later than axe reads the page).
DRAWN_BY_SCRIPT = {"api/v1/docs/": ".swagger-ui .opblock-summary"}


def test_every_page_is_accessible(browser, demo, sign_in):
    started = time.monotonic()
    all_patterns = project_patterns()
    dead = [
        regex for regex, _reason in EXCLUDED if not any(re.search(regex, p) for p in all_patterns)
    ]
    assert not dead, f"EXCLUDED entries that match no URL pattern any more: {dead}"
    wanted = [p for p in all_patterns if not excluded(p)]
    # The ID approver's link is only in the e-mail that the demo sent.
    tokens = [
        m.group(1)
        for message in mail.outbox
        if (m := re.search(r"/id-link/([^/\s]+)/", message.body))
    ]
    visited: dict[str, tuple[str, str]] = {}  # pattern → (first persona, path)
    reads = 0  # pages axe read: a pattern once per persona who opens it
    refused: dict[str, dict[str, list[str]]] = {}
    violations: dict[tuple[str, str], dict] = {}
    scroll_boxes: dict[str, list] = {}  # a table box that scrolls without the focus, or the reverse
    on_a_phone: dict[str, dict] = {}  # a page wider than a phone, or buttons too small to tap
    for username in PERSONAS:
        user = User.objects.get(username=username) if username else None
        left = wanted if EVERY_PERSONA else [p for p in wanted if p not in visited]
        # In a thread of its own: the verify page checks a signature with an event loop of its own.
        found = in_thread(pages_of, user, left, tokens=tokens)
        for pattern, answers in found.refused.items():
            refused.setdefault(pattern, {})[username or "anonymous"] = answers
        if not found.pages:
            continue
        if user is None:
            page = browser.new_context(viewport=DESKTOP, locale="th-TH").new_page()
        else:
            page = sign_in(username, viewport=DESKTOP)
        # axe-core loads with every page (through DevTools, beside the site's CSP), not per call.
        page.context.add_init_script(path=axe_script())
        print(f"{username}: {len(found.pages)} pages found in {time.monotonic() - started:.0f} s")
        for pattern, path in found.pages.items():
            first = pattern not in visited
            reads += 1
            visited.setdefault(pattern, (username or "anonymous", path))
            response = page.goto(f"{demo}{path}")
            assert response.status == 200, f"{username} {path}: {response.status}"
            if drawn := DRAWN_BY_SCRIPT.get(pattern):
                page.wait_for_selector(drawn, state="visible")
            if boxes := scroll_box_problems(page):
                scroll_boxes[pattern] = boxes
            for violation in axe_violations(page):
                violations.setdefault(
                    (violation["id"], pattern),
                    {
                        "persona": username or "anonymous",
                        "path": path,
                        "impact": violation["impact"],
                        "help": violation["help"],
                        "targets": [" ".join(t) for t in violation["targets"][:3]],
                    },
                )
            if not first:
                continue  # a phone's width: read once a pattern
            page.set_viewport_size(PHONE)
            settle(page)
            problems = phone_problems(page)
            small = problems["small"] if pattern not in PHONE_KNOWN else []
            if problems["scroll_width"] > problems["inner_width"] or small:
                on_a_phone[pattern] = {"path": path, **problems}
            page.set_viewport_size(DESKTOP)
        if user is None:
            page.context.close()
    seconds = time.monotonic() - started
    print(
        f"axe read {reads} pages: {len(visited)} of {len(all_patterns)} URL patterns, "
        f"{'each as every persona who opens it' if EVERY_PERSONA else 'each once'}, "
        f"in {seconds:.0f} s"
    )

    missed = {p: refused.get(p, {}) for p in wanted if p not in visited}
    assert not missed, (
        "URL patterns that no persona opened: give a persona an object that opens it, or add it to"
        " pages.EXCLUDED with the reason\n" + pformat(missed, width=110)
    )
    unexpected = [
        f"{rule} ({v['impact']}: {v['help']}) on {pattern} as {v['persona']} at {v['path']}:"
        f" {v['targets']}"
        for (rule, pattern), v in sorted(violations.items())
        if (rule, pattern) not in KNOWN
    ]
    gone = KNOWN - set(violations)
    assert not unexpected, f"{len(unexpected)} serious or critical violations:\n" + "\n".join(
        unexpected
    )
    assert not gone, f"no longer found, take them off KNOWN: {sorted(gone)}"
    assert not on_a_phone, "pages that do not fit a phone:\n" + pformat(on_a_phone, width=110)
    assert not scroll_boxes, (
        f"table boxes focusable without scrolling, or the reverse:\n{scroll_boxes}"
    )
