"""Settings for the count-day load benchmark: production, served over plain HTTP on loopback.

Everything else is production's (DEBUG off, Argon2id passwords, PostgreSQL, Redis, signed records).
Static files are not collected: the load driver, like a browser with a warm cache, does not fetch
them, and collecting production's compressed manifest takes a minute.

With ``BENCH_COUNTDAY_PROFILE=<directory>`` (``bench_countday.py --profile``) every request is
timed (wall, CPU, SQL queries) into ``<directory>/requests.<pid>.tsv`` and profiled with cProfile
into ``<directory>/profile.<pid>.prof``: where the web CPU goes, one gunicorn worker per file.

``BENCH_COUNTDAY_WHAT_IF=lock-of-self`` (``--what-if lock-of-self``) is an experiment, never the
figures of record: census.services._lock then locks the SchoolRound row only (``FOR UPDATE OF``)
instead of the SchoolRound, School **and Round** rows that its ``select_related`` joins, to
measure what the one Round row that every school's confirm and certify lock costs.
"""

import atexit
import cProfile
import os
import re
import time
from pathlib import Path

from config.settings.production import *  # noqa: F403
from config.settings.production import MIDDLEWARE, STORAGES

# Plain HTTP on 127.0.0.1: no TLS in front, so no redirect to it and no Secure-only cookies.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

PROFILE_DIR = os.environ.get("BENCH_COUNTDAY_PROFILE", "")
if PROFILE_DIR:
    MIDDLEWARE = ["bench.countday_settings.ProfileMiddleware", *MIDDLEWARE]
WHAT_IF = os.environ.get("BENCH_COUNTDAY_WHAT_IF", "")
if WHAT_IF == "lock-of-self":
    MIDDLEWARE = ["bench.countday_settings.WhatIfLockOfSelf", *MIDDLEWARE]


class WhatIfLockOfSelf:
    """Experiment only: lock the SchoolRound row alone in census.services._lock."""

    def __init__(self, get_response):
        # A settings module: the apps are loaded after it is read, so imported here, when used.
        from census import services
        from census.models import SchoolRound

        def lock(school_round):
            return (
                SchoolRound.objects.select_for_update(of=("self",))
                .select_related("round", "school")
                .get(pk=school_round.pk)
            )

        services._lock = lock
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


class ProfileMiddleware:
    """Time and profile every request of this process (bench only, never in production)."""

    # A learner's or a record's UUID, then any number: one line per kind of request.
    UUIDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    NUMBERS = re.compile(r"\d+")

    def __init__(self, get_response):
        self.get_response = get_response
        self.directory = Path(PROFILE_DIR)
        self.profile = cProfile.Profile()
        self.count = 0
        self.log = open(self.directory / f"requests.{os.getpid()}.tsv", "a", buffering=1)  # noqa: SIM115
        atexit.register(self.dump)

    def dump(self):
        self.profile.dump_stats(self.directory / f"profile.{os.getpid()}.prof")

    def __call__(self, request):
        from django.db import connection  # a settings module: Django's own after it is read

        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        wall, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(count):
            self.profile.enable()
            try:
                response = self.get_response(request)
            finally:
                self.profile.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        path = self.NUMBERS.sub("N", self.UUIDS.sub("U", request.path))
        self.log.write(
            f"{request.method} {path}\t{response.status_code}\t{wall * 1000:.1f}\t"
            f"{cpu * 1000:.1f}\t{queries[0]}\n"
        )
        self.count += 1
        if self.count % 25 == 0:
            self.dump()
        return response
