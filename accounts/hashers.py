"""The password hasher: Argon2id at the parameters OWASP's Password Storage Cheat Sheet recommends."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Hash passwords with Argon2id at OWASP's minimum: 19 MiB of memory, 2 passes, 1 lane.

    On count day the staff and director of some 29,000 schools sign in within hours on a two-core
    server: a login must cost a small part of the CPU that Django's PBKDF2 takes (about a tenth:
    bench/bench_login.py), and still cost an attacker what the cheat sheet asks per guess. Django's
    own Argon2 hasher asks for 100 MiB and 8 lanes, more than two cores serving many logins at once
    can give. The algorithm stays "argon2", so a hash from Django's hasher still verifies and is
    rehashed at these parameters on its next login, as a PBKDF2 hash is.
    """

    memory_cost = 19 * 1024  # KiB
    time_cost = 2
    parallelism = 1
