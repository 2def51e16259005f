from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

# Viewflow adds "manage" only when a flow module is imported; declared here so migrate creates it.
PROCESS_PERMISSIONS = ("add", "change", "delete", "view", "manage")


class CertificationProcess(Process):
    """One school's certification of one count round (prepare → confirm → certify → acknowledge)."""

    school_round = models.ForeignKey(
        "census.SchoolRound", on_delete=models.PROTECT, related_name="processes"
    )
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+")
    round = models.ForeignKey("census.Round", on_delete=models.PROTECT, related_name="+")
    # The close of the certify window: every waiting task times out then, and the school is missed.
    deadline = models.DateTimeField()
    # Set by the director's decision, read by the flow's gateway.
    certified = models.BooleanField(null=True)
    # False once a revocation replaced this process with a new one for the same school and round.
    is_current = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("certification process")
        verbose_name_plural = _("certification processes")
        default_permissions = PROCESS_PERMISSIONS
        constraints = [
            models.UniqueConstraint(
                fields=["school_round"],
                condition=Q(is_current=True),
                name="one_current_certification_per_school_round",
            )
        ]

    def __str__(self):
        return f"{self.school} · {self.round}"

    @property
    def brief(self) -> str:
        return f"{self.school.name_th} · {self.round}"
