"""The process models whose tasks appear in the unified inbox.

Each key is the lower-case name of a concrete Process subclass (viewflow's multi-table child, so
``process.<name>`` reaches it) with a ``school`` foreign key, a ``brief`` property and, if its steps
have one, a ``deadline``. Add a flow's process here and its tasks show in "My tasks" with their
school, in the same fixed number of queries.
"""

from django.core.exceptions import ObjectDoesNotExist

# process subclass → the relations its inbox row shows (its ``brief`` and its school).
INBOX_PROCESSES: dict[str, tuple[str, ...]] = {
    "certificationprocess": ("school", "round__academic_year"),
    "buildingsurveyprocess": ("school", "survey_year"),
    "dropoutprocess": ("school", "student"),
    "idcorrectionprocess": ("school", "student"),
    "transferprocess": ("school", "student", "releasing_school"),
    "gcodeprocess": ("school",),
}


def process_joins() -> list[str]:
    """Return the select_related paths that load each process subclass and what it shows."""
    joins = []
    for name, relations in INBOX_PROCESSES.items():
        joins += [f"process__{name}"] + [f"process__{name}__{r}" for r in relations]
    return joins


def concrete(process):
    """Return the concrete process behind a base viewflow Process loaded with process_joins()."""
    for name in INBOX_PROCESSES:
        try:
            return getattr(process, name)
        except ObjectDoesNotExist:  # the process is of another subclass
            continue
    return process
