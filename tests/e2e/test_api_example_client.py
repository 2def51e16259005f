"""The example client of docs/api.md, run as written against the live server with the demo: it
reads a school's whole roster and sends every learner's weight and height in one call."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import User
from api.services import api_key_create
from schools.models import EnrollmentStatus, Measurement, School

from .conftest import in_thread

pytestmark = pytest.mark.e2e


def example_client() -> str:
    text = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"## An example client.*?```python\n(.*?)```", text, re.S)
    return block


def test_the_example_client_reads_a_roster_and_writes_weights(demo, monkeypatch, capsys):
    school = School.objects.get(code="1050130001")
    _key, secret = api_key_create(
        actor=User.objects.get(username="director.maerim"),
        name="SchoolMIS",
        expires_at=timezone.now() + timedelta(days=1),
        can_write=True,
        school=school,
    )
    learners = school.enrollments.filter(status=EnrollmentStatus.ACTIVE).count()
    monkeypatch.setenv("OPENDMC_URL", demo)
    monkeypatch.setenv("OPENDMC_KEY", secret)
    monkeypatch.setenv("OPENDMC_SCHOOL", school.code)
    code = compile(example_client(), "docs/api.md", "exec")
    in_thread(exec, code, {"__name__": "example"})
    printed = capsys.readouterr().out
    assert f"{learners} learners" in printed
    assert (
        Measurement.objects.filter(
            measured_on=timezone.localdate(), weight_kg=25.5, height_cm=128
        ).count()
        == learners
    )
