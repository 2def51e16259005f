"""One login's password cost: Django's PBKDF2-SHA256 (its default iterations, what production ran
before) against our Argon2id (accounts/hashers.py, m = 19 MiB, t = 2, p = 1), in the same run.

    .venv/bin/python bench/bench_login.py      # SQLite in memory; DATABASE_URL=postgres://... for PostgreSQL

Two comparisons, each interleaved (ABAB…, the median of the runs):
- the hash verification alone: the hasher's verify() on one stored hash of each kind;
- a full login POST to the login page through the Django test client (middleware, django-axes,
  the session, the redirect): before, with Django's default PASSWORD_HASHERS and a PBKDF2 hash;
  after, with ours and an Argon2id hash. A third side is the first login after the switch with a
  PBKDF2 hash: verify, rehash with Argon2id and save; the PBKDF2 hash is written back (one UPDATE)
  at the start of each of its runs, inside its time.

Target: the Argon2id verify ≤ 0.25× the PBKDF2 verify. The login POSTs are figures, with the CPU
of two logins a school (staff and director) beside the 0.5 s of web CPU a school has on count day.
Results: bench/results/login.txt.
"""

import logging

import setup_django  # noqa: F401 — first: Django set up (bench/setup_django.py)

from django.conf import global_settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import Client, override_settings
from django.urls import reverse

from accounts.hashers import Argon2idPasswordHasher
from accounts.models import User
from bench.common import (
    Targets,
    interleaved,
    machine,
    machine_speed,
    median,
    ms,
    report,
    size,
    throwaway_database,
)
from config.settings import base

RUNS = size(15, check=7, smoke=5)
PASSWORD = "count-day-2569"  # noqa: S105 — a throwaway user in a throwaway database
VERIFY_TARGET = 0.25
# Web CPU a school may take on count day (issue 22): two logins of it must fit well inside.
SCHOOL_BUDGET = 0.5


def main() -> None:
    # django-axes logs every login at INFO: one line per run here, and nothing to read.
    logging.getLogger("axes").setLevel(logging.WARNING)

    targets = Targets()
    pbkdf2, argon2 = PBKDF2PasswordHasher(), Argon2idPasswordHasher()
    pbkdf2_hash = pbkdf2.encode(PASSWORD, pbkdf2.salt())
    argon2_hash = argon2.encode(PASSWORD, argon2.salt())
    before = override_settings(PASSWORD_HASHERS=global_settings.PASSWORD_HASHERS)
    after = override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)

    def verify_pbkdf2(_i):
        assert pbkdf2.verify(PASSWORD, pbkdf2_hash)

    def verify_argon2(_i):
        assert argon2.verify(PASSWORD, argon2_hash)

    verify_pbkdf2_runs, verify_argon2_runs = interleaved(verify_pbkdf2, verify_argon2, repeat=RUNS)

    with throwaway_database():
        for username, encoded in (("before", pbkdf2_hash), ("after", argon2_hash),
                                  ("upgraded", pbkdf2_hash)):  # fmt: skip
            User.objects.create(username=username, password=encoded)
        url = reverse("login")

        def login(username: str) -> None:
            response = Client().post(url, {"username": username, "password": PASSWORD})
            assert response.status_code == 302, (username, response.status_code)

        def login_before(_i):
            with before:
                login("before")

        def login_after(_i):
            with after:
                login("after")

        def login_upgraded(_i):
            User.objects.filter(username="upgraded").update(password=pbkdf2_hash)
            with after:
                login("upgraded")

        post_before, post_after, post_upgraded = interleaved(
            login_before, login_after, login_upgraded, repeat=RUNS
        )
        assert User.objects.get(username="before").password == pbkdf2_hash
        assert User.objects.get(username="after").password == argon2_hash
        upgraded = User.objects.get(username="upgraded").password
        assert upgraded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$"), upgraded
        on = machine()

    school = 2 * median(post_after)
    lines = [
        f"hashers: PBKDF2-SHA256 ×{pbkdf2.iterations:,} (Django's default) and Argon2id "
        f"m={argon2.memory_cost} KiB, t={argon2.time_cost}, p={argon2.parallelism} (ours); "
        f"{RUNS} runs a side, interleaved",
        targets.ratio(
            "hash verification, Argon2id / PBKDF2",
            verify_argon2_runs,
            verify_pbkdf2_runs,
            at_most=VERIFY_TARGET,
        ),
        f"login POST (test client, 302), Argon2id / PBKDF2: median "
        f"{median(post_after) * 1000:.1f} ms / {median(post_before) * 1000:.1f} ms = "
        f"{median(post_after) / median(post_before):.2f}× (runs {ms(post_after)} / "
        f"{ms(post_before)})",
        f"first login after the switch, PBKDF2 hash rehashed with Argon2id and saved: median "
        f"{median(post_upgraded) * 1000:.1f} ms (runs {ms(post_upgraded)})",
        f"two logins a school (staff and director), Argon2id: {school * 1000:.0f} ms of the "
        f"{SCHOOL_BUDGET * 1000:.0f} ms web CPU budget a school (PBKDF2: "
        f"{2 * median(post_before) * 1000:.0f} ms)",
    ]
    report("login", lines, on=on, speed=machine_speed())
    targets.exit()


if __name__ == "__main__":
    main()
