"""The count-day fixtures of the workflow tests, shared with the fault tests."""

from ..workflows.conftest import clean_roster, opened, round2  # noqa: F401
