"""Contract tests: schemathesis draws requests from the live OpenAPI schema, for every operation,
and sends them to the app with a school's write key: no answer is a server error, and every answer
matches the schema (status, content type, body, headers).

Derandomized in `make test` (the conftest's "ci" Hypothesis profile: the same examples every run);
`make fuzz` draws new ones, six times as many, from the seed it prints.
"""

from datetime import date

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ..factories import EnrollmentFactory


@pytest.fixture
def live_schema(db, school_writer, school):
    # As Django's test client does: the end of a request must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    EnrollmentFactory(school=school, started_on=date(2026, 5, 16))
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.hypothesis
def test_every_operation_keeps_its_schema(live_schema, school_writer):
    _key, secret = school_writer
    operations = [result.ok() for result in live_schema.get_all_operations()]
    assert len(operations) >= 19
    # A fifth of the profile's examples per operation: 10 in `make test`, 60 in `make fuzz`.
    examples = max(settings.default.max_examples // 5, 1)
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=examples)
        def keeps_schema(case):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {secret}"}
            # A schema-valid write may still break a rule only the service knows (422: a learner
            # already enrolled, a date before the enrollment), so valid data is not required to
            # succeed; every other check of schemathesis runs.
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        keeps_schema()
