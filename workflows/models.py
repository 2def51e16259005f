from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from schools.models import Grade, Sex

# Viewflow adds "manage" only when a flow module is imported; declared here so migrate creates it.
PROCESS_PERMISSIONS = ("add", "change", "delete", "view", "manage")


class CertificationProcess(Process):
    """One school's certification of one count round (prepare → confirm → certify → acknowledge)."""

    school_round = models.ForeignKey(
        "census.SchoolRound",
        on_delete=models.PROTECT,
        related_name="processes",
        verbose_name=_("school's round"),
    )
    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    round = models.ForeignKey(
        "census.Round", on_delete=models.PROTECT, related_name="+", verbose_name=_("round")
    )
    # The close of the certify window: every waiting task times out then, and the school is missed.
    deadline = models.DateTimeField(_("deadline"))
    # Set by the director's decision, read by the flow's gateway.
    certified = models.BooleanField(_("certified"), null=True)
    # False once a revocation replaced this process with a new one for the same school and round.
    is_current = models.BooleanField(_("current"), default=True)

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


class Decision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


class RequestProcess(Process):
    """Fields every approval request shares: its school, who asked, and the decision."""

    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decision_comment = models.CharField(_("comment"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def request_key(self) -> str:
        """Return the key that evidence documents of this request carry."""
        return f"{self._meta.label_lower}:{self.pk}"


class DropoutProcess(RequestProcess):
    """A request to end a learner's enrollment as dropped out or removed (2.7.6)."""

    class Kind(models.TextChoices):
        DROPOUT = "dropped_out", _("Dropout")
        REMOVAL = "removed", _("Removal from the roll")

    class Reason(models.TextChoices):
        POVERTY = "poverty", _("Poverty")
        FAMILY_MOVED = "family_moved", _("Family moved")
        WORK = "work", _("Work")
        MARRIAGE = "marriage", _("Marriage")
        PREGNANCY = "pregnancy", _("Pregnancy")
        ILLNESS = "illness", _("Illness")
        NO_CONTACT = "no_contact", _("Cannot be contacted")
        DECEASED = "deceased", _("Deceased")
        OTHER = "other", _("Other")

    enrollment = models.ForeignKey(
        "schools.Enrollment",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("enrolment"),
    )
    student = models.ForeignKey(
        "schools.Student", on_delete=models.PROTECT, related_name="+", verbose_name=_("learner")
    )
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=15, choices=Reason.choices)
    reason_note = models.CharField(_("details"), max_length=500, blank=True)
    effective_on = models.DateField(_("effective date"))

    class Meta:
        verbose_name = _("dropout request")
        verbose_name_plural = _("dropout requests")
        default_permissions = PROCESS_PERMISSIONS

    def __str__(self):
        return f"{self.get_kind_display()} · {self.student}"

    @property
    def brief(self) -> str:
        return f"{self.get_kind_display()}: {self.student.full_name_th}"


class IdCorrectionProcess(RequestProcess):
    """A request to correct a learner's citizen ID (or replace a G-code by one), approved by e-mail."""

    student = models.ForeignKey(
        "schools.Student", on_delete=models.PROTECT, related_name="+", verbose_name=_("learner")
    )
    old_citizen_id = models.CharField(_("current citizen ID"), max_length=13, blank=True)
    old_gcode = models.CharField(_("current G-code"), max_length=13, blank=True)
    new_citizen_id = models.CharField(_("correct citizen ID"), max_length=13)
    deadline = models.DateTimeField(_("links expire at"))

    class Meta:
        verbose_name = _("citizen-ID correction")
        verbose_name_plural = _("citizen-ID corrections")
        default_permissions = PROCESS_PERMISSIONS

    def __str__(self):
        return f"{self.student}: → {self.new_citizen_id}"

    @property
    def brief(self) -> str:
        return f"{self.student.full_name_th}"


class IdCorrectionLink(models.Model):
    """One approver's single-use link for one ID-correction request."""

    process = models.ForeignKey(IdCorrectionProcess, on_delete=models.CASCADE, related_name="links")
    approver = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("approver")
    )
    nonce = models.CharField(max_length=32, unique=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("approval link")
        verbose_name_plural = _("approval links")
        constraints = [
            models.UniqueConstraint(fields=["process", "approver"], name="one_link_per_approver")
        ]

    def __str__(self):
        return f"{self.process_id} → {self.approver_id}"


class TransferProcess(RequestProcess):
    """A receiving school's request for a learner still enrolled at another school (2.7.1)."""

    student = models.ForeignKey(
        "schools.Student", on_delete=models.PROTECT, related_name="+", verbose_name=_("learner")
    )
    releasing_school = models.ForeignKey(
        "schools.School",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("releasing school"),
    )
    grade = models.CharField(_("grade"), max_length=4, choices=Grade.choices)
    room = models.PositiveSmallIntegerField(_("room"), default=1)
    released_on = models.DateField(_("released on"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer request")
        verbose_name_plural = _("transfer requests")
        default_permissions = PROCESS_PERMISSIONS

    def __str__(self):
        return f"{self.student} · {self.releasing_school} → {self.school}"

    @property
    def brief(self) -> str:
        return (
            f"{self.student.full_name_th}: {self.releasing_school.name_th} → {self.school.name_th}"
        )


class GCodeProcess(RequestProcess):
    """A request for a G-code for a learner with no civil-registration evidence (2.7.4)."""

    title = models.CharField(_("title"), max_length=10)
    first_name_th = models.CharField(_("first name (Thai)"), max_length=100)
    last_name_th = models.CharField(_("last name (Thai)"), max_length=100)
    first_name_en = models.CharField(_("first name (English)"), max_length=100, blank=True)
    last_name_en = models.CharField(_("last name (English)"), max_length=100, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    nationality = models.CharField(_("nationality"), max_length=60)
    guardian_name = models.CharField(_("guardian"), max_length=200)
    guardian_relation = models.CharField(_("relation to the learner"), max_length=60)
    guardian_phone = models.CharField(_("guardian's phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=300)
    grade = models.CharField(_("grade"), max_length=4, choices=Grade.choices)
    room = models.PositiveSmallIntegerField(_("room"), default=1)
    issued_gcode = models.CharField(_("issued G-code"), max_length=13, blank=True)
    student = models.ForeignKey(
        "schools.Student",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("learner"),
    )

    class Meta:
        verbose_name = _("G-code request")
        verbose_name_plural = _("G-code requests")
        default_permissions = PROCESS_PERMISSIONS

    def __str__(self):
        return f"{self.title}{self.first_name_th} {self.last_name_th}"

    @property
    def brief(self) -> str:
        return str(self)


# Each kind of approval request by the name its pages use in their addresses.
REQUEST_KINDS: dict[str, type[RequestProcess]] = {
    "dropout": DropoutProcess,
    "id-correction": IdCorrectionProcess,
    "transfer": TransferProcess,
    "gcode": GCodeProcess,
}


class GCodeCounter(models.Model):
    """The last G-code sequence number issued in a Buddhist year (one row per year, locked to issue)."""

    year_be = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year_be}: {self.last}"


class BuildingSurveyProcess(Process):
    """One school's building survey of one year (enter → certify), or missed at the window's close."""

    school_survey = models.OneToOneField(
        "buildings.SchoolSurvey",
        on_delete=models.PROTECT,
        related_name="process",
        verbose_name=_("school's survey"),
    )
    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    survey_year = models.ForeignKey(
        "buildings.SurveyYear",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("survey year"),
    )
    # The close of the survey window: every waiting task times out then, and the school is missed.
    deadline = models.DateTimeField(_("deadline"))
    # Set by the director's decision, read by the flow's gateway.
    certified = models.BooleanField(_("certified"), null=True)

    class Meta:
        verbose_name = _("building survey process")
        verbose_name_plural = _("building survey processes")
        default_permissions = PROCESS_PERMISSIONS

    def __str__(self):
        return f"{self.school} · B-OBEC {self.survey_year}"

    @property
    def brief(self) -> str:
        return f"{self.school.name_th} · B-OBEC {self.survey_year}"
