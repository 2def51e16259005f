import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class AcademicYear(models.Model):
    """An academic year in the Buddhist era (ปีการศึกษา 2569 runs from May 2026 to April 2027)."""

    year = models.PositiveSmallIntegerField(_("academic year (BE)"), unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("academic year")
        verbose_name_plural = _("academic years")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                name="academic_year_is_buddhist_era", condition=Q(year__gte=2500, year__lte=2700)
            )
        ]

    def __str__(self):
        return str(self.year)


class Round(models.Model):
    """A count round: its as-of date, the confirm and certify windows and the ID-correction cut-off."""

    academic_year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("round"))
    as_of = models.DateField(_("as-of date"))
    confirm_opens = models.DateTimeField(_("confirm window opens"))
    confirm_closes = models.DateTimeField(_("confirm window closes"))
    certify_opens = models.DateTimeField(_("certify window opens"))
    certify_closes = models.DateTimeField(_("certify window closes"))
    id_correction_cutoff = models.DateTimeField(_("citizen-ID corrections close"))
    is_demo = models.BooleanField(_("demo round"), default=False)
    opened_at = models.DateTimeField(_("processes started at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("window closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("count round")
        verbose_name_plural = _("count rounds")
        ordering = ["as_of", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["academic_year", "number"],
                condition=Q(is_demo=False),
                name="one_round_number_per_year",
            ),
            models.CheckConstraint(
                name="round_number_1_to_3", condition=Q(number__gte=1, number__lte=3)
            ),
            models.CheckConstraint(
                name="confirm_window_ordered",
                condition=Q(confirm_opens__lt=F("confirm_closes")),
                violation_error_message=_(
                    "เวลาปิดต้องอยู่หลังเวลาเปิด / The window must close after it opens."
                ),
            ),
            models.CheckConstraint(
                name="certify_window_ordered",
                condition=Q(certify_opens__lt=F("certify_closes")),
                violation_error_message=_(
                    "เวลาปิดต้องอยู่หลังเวลาเปิด / The window must close after it opens."
                ),
            ),
        ]

    def __str__(self):
        demo = " (demo)" if self.is_demo else ""
        return f"{self.academic_year.year}/{self.number}{demo}"


class SchoolRound(models.Model):
    """One school's progress through one round: what the dashboards show and what locks the roster."""

    class State(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        PREPARED = "prepared", _("Prepared")
        CONFIRMED = "confirmed", _("Confirmed")
        CERTIFIED = "certified", _("Certified")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        MISSED = "missed", _("Missed")
        REVOKED = "revoked", _("Revoked")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="school_rounds")
    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, related_name="school_rounds"
    )
    state = models.CharField(
        _("state"), max_length=15, choices=State.choices, default=State.NOT_STARTED
    )
    prepared_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    certified_at = models.DateTimeField(null=True, blank=True)
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    last_rejection = models.CharField(_("last rejection reason"), max_length=500, blank=True)
    revoked_reason = models.CharField(_("revocation reason"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("school round")
        verbose_name_plural = _("school rounds")
        constraints = [
            models.UniqueConstraint(fields=["round", "school"], name="one_school_round"),
        ]
        indexes = [models.Index(fields=["round", "state"])]

    def __str__(self):
        return f"{self.school} · {self.round} · {self.get_state_display()}"

    @property
    def roster_locked(self) -> bool:
        """Return whether the roster waits, frozen, for the director's decision."""
        return self.state == self.State.CONFIRMED


class RosterSnapshot(models.Model):
    """The certified roster of a school for a round: what the school is funded for. Never changed."""

    class Status(models.TextChoices):
        CERTIFIED = "certified", _("Certified")
        REVOKED = "revoked", _("Revoked")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school_round = models.ForeignKey(
        SchoolRound, on_delete=models.PROTECT, related_name="snapshots"
    )
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="snapshots")
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="snapshots")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CERTIFIED)
    as_of = models.DateField()
    certified_at = models.DateTimeField()
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    learner_count = models.PositiveIntegerField(default=0)
    # {"01K1": {"M": 3, "F": 4}, ...}: what the record prints, and what the subsidy reads.
    counts = models.JSONField(default=dict)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("roster snapshot")
        verbose_name_plural = _("roster snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "round"],
                condition=Q(status="certified"),
                name="one_certified_snapshot_per_school_round",
            )
        ]

    def __str__(self):
        return f"{self.school} · {self.round} · {self.learner_count}"


class SnapshotRow(models.Model):
    """One learner as certified: identity, grade, room, sex, birth date, latest weight and height."""

    snapshot = models.ForeignKey(RosterSnapshot, on_delete=models.PROTECT, related_name="rows")
    student = models.ForeignKey("schools.Student", on_delete=models.PROTECT, related_name="+")
    citizen_id = models.CharField(max_length=13, blank=True)
    gcode = models.CharField(max_length=13, blank=True)
    title = models.CharField(max_length=10)
    first_name_th = models.CharField(max_length=100)
    last_name_th = models.CharField(max_length=100)
    sex = models.CharField(max_length=1)
    birth_date = models.DateField()
    grade = models.CharField(max_length=4)
    room = models.PositiveSmallIntegerField()
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True)
    height_cm = models.DecimalField(max_digits=5, decimal_places=1, null=True)
    measured_on = models.DateField(null=True)

    class Meta:
        verbose_name = _("snapshot row")
        verbose_name_plural = _("snapshot rows")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "student"], name="one_row_per_learner")
        ]
        indexes = [models.Index(fields=["snapshot", "grade", "room"])]

    def __str__(self):
        return f"{self.snapshot_id}: {self.first_name_th} {self.last_name_th}"
