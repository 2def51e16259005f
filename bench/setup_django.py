"""Django, set up for a benchmark script: the script's first import of its own, before the apps.

    import setup_django  # noqa: F401 — first: Django set up (bench/setup_django.py)

A script run as ``python bench/bench_….py`` finds this module beside it (its folder is on the
path, the repository is not): importing it puts the repository on the path and sets Django up with
the test settings (DATABASE_URL picks PostgreSQL), so that the script then imports the apps, and
bench.common, at its top like any module. Once, on import; nothing else. Its import sorts into a
section of its own, before the third-party packages (pyproject.toml, isort's ``bench-setup``).

bench_countday.py imports it in its main(), after its options have chosen the settings
(production's over plain HTTP, bench/countday_settings.py, which this keeps), then the module that
holds its side in Django (bench/countday_data.py).
"""

import os
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()
