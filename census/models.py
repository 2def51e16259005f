import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from schools.templatetags.thai import thai_date


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


# The times of a confirm and a certify window, on a round and on an area office's own windows.
WINDOW_TIMES = ("confirm_opens", "confirm_closes", "certify_opens", "certify_closes")


class CountWindows(models.Model):
    """The confirm and certify windows of a count: a round's, or an area office's own part of them
    (AreaWindow). Each subclass lists ``windows_ordered`` in its constraints."""

    confirm_opens = models.DateTimeField(_("confirm window opens"))
    confirm_closes = models.DateTimeField(_("confirm window closes"))
    certify_opens = models.DateTimeField(_("certify window opens"))
    certify_closes = models.DateTimeField(_("certify window closes"))

    class Meta:
        abstract = True


def windows_ordered(prefix: str = "") -> list[models.CheckConstraint]:
    """The database's own check that the confirm and certify windows each close after they open
    (a round's, or an area office's own: ``prefix`` keeps the constraint names apart)."""
    return [
        models.CheckConstraint(
            name=f"{prefix}{kind}_window_ordered",
            condition=Q(**{f"{kind}_opens__lt": F(f"{kind}_closes")}),
            violation_error_message=_("The window must close after it opens."),
        )
        for kind in ("confirm", "certify")
    ]


class Round(CountWindows):
    """A count round: its as-of date, the confirm and certify windows and the ID-correction cut-off."""

    academic_year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("round"))
    as_of = models.DateField(_("as-of date"))
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
            *windows_ordered(),
        ]

    def __str__(self):
        """Return the round's one name, on every page, record and e-mail: its year and number with
        its count day ("รอบ 2569/2 · 10 พ.ย. 2569"), in the reader's language."""
        name = gettext("Round %(year)s/%(number)s · %(as_of)s") % {
            "year": self.academic_year.year,
            "number": self.number,
            "as_of": thai_date(self.as_of),
        }
        if self.is_demo:
            return f"{name} ({pgettext('round', 'demo')})"
        return name


class RoundChange(models.Model):
    """One change of a round's dates or windows: who, when, each changed field before and after
    (ISO 8601). Written once by census.services.round_update, never changed."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="changes")
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    before = models.JSONField(_("before"))
    after = models.JSONField(_("after"))

    class Meta:
        verbose_name = _("round change")
        verbose_name_plural = _("round changes")
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.round_id} @ {self.changed_at:%Y-%m-%d %H:%M}"


class AreaWindow(CountWindows):
    """An area office's own confirm and certify windows in a round: the ministry staggers a count
    day by giving groups of area offices their own part of the round's windows (which hold them).
    Schools of an area office without one use the round's windows. Set by census.area_windows."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="area_windows")
    area_office = models.ForeignKey(
        "schools.AreaOffice", on_delete=models.PROTECT, related_name="round_windows"
    )

    class Meta:
        verbose_name = _("area office's window")
        verbose_name_plural = _("area offices' windows")
        ordering = ["confirm_opens", "area_office__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "area_office"], name="one_window_per_area_and_round"
            ),
            *windows_ordered("area_"),
        ]

    def __str__(self):
        return f"{self.round} {self.area_office_id}"


# What the ministry sets on a round: its as-of date and its times (Round's fields of those names).
ROUND_TIMES = (*WINDOW_TIMES, "id_correction_cutoff")
ROUND_FIELDS = ("as_of", *ROUND_TIMES)


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
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_rejection = models.CharField(_("last rejection reason"), max_length=500, blank=True)
    # Who sent the confirmation back last, and when: what the send-back record says.
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
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
    # The nutrition status of that measurement, frozen with the figures (schools/nutrition.py):
    # a report of a past round reads these, never the learner's status of today.
    wfh_z = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    hfa_z = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    wfa_z = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    wfh_band = models.CharField(max_length=20, blank=True, default="", db_default="")
    hfa_band = models.CharField(max_length=20, blank=True, default="", db_default="")
    wfa_band = models.CharField(max_length=20, blank=True, default="", db_default="")
    nutrition_issue = models.CharField(max_length=20, blank=True, default="", db_default="")
    nutrition_reference = models.CharField(max_length=40, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("snapshot row")
        verbose_name_plural = _("snapshot rows")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "student"], name="one_row_per_learner")
        ]
        indexes = [models.Index(fields=["snapshot", "grade", "room"])]

    def __str__(self):
        return f"{self.snapshot_id}: {self.first_name_th} {self.last_name_th}"


class SubsidyItem(models.TextChoices):
    """What a per-head subsidy pays for."""

    TUITION = "tuition", _("Tuition")
    TEXTBOOKS = "textbooks", _("Textbooks")
    LEARNING_SUPPLIES = "learning_supplies", _("Learning supplies")
    UNIFORMS = "uniforms", _("Uniforms")
    ACTIVITIES = "activities", _("Learner-development activities")


class SubsidyLevel(models.TextChoices):
    """The school level a rate applies to."""

    PRE_PRIMARY = "pre_primary", _("Pre-primary")
    PRIMARY = "primary", _("Primary")
    LOWER_SECONDARY = "lower_secondary", _("Lower secondary")
    UPPER_SECONDARY = "upper_secondary", _("Upper secondary")


class SubsidyRate(models.Model):
    """A per-head subsidy rate: baht per learner per year, for one fiscal year, item and level
    (or one grade of it). Changed only through census.rates, which writes its history."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        PROVISIONAL = "provisional", _("Provisional")

    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year (BE)"))
    item = models.CharField(_("item"), max_length=20, choices=SubsidyItem.choices)
    level = models.CharField(_("level"), max_length=20, choices=SubsidyLevel.choices)
    # Blank: every grade of the level; a grade's own rate wins over the level's.
    grade = models.CharField(_("grade"), max_length=4, blank=True)
    baht_per_year = models.DecimalField(
        _("baht per learner per year"), max_digits=10, decimal_places=2
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PROVISIONAL
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("subsidy rate")
        verbose_name_plural = _("subsidy rates")
        ordering = ["-fiscal_year", "item", "level", "grade"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "item", "level", "grade"], name="one_subsidy_rate"
            ),
            models.CheckConstraint(
                name="subsidy_rate_not_negative", condition=Q(baht_per_year__gte=0)
            ),
            models.CheckConstraint(
                name="subsidy_fiscal_year_is_buddhist_era",
                condition=Q(fiscal_year__gte=2500, fiscal_year__lte=2700),
            ),
        ]

    def __str__(self):
        grade = f" {self.grade}" if self.grade else ""
        return f"{self.fiscal_year} {self.item} {self.level}{grade}: {self.baht_per_year}"


class SubsidyRateChange(models.Model):
    """One change of a rate: who, when, the values before and after. Written once, never changed."""

    rate = models.ForeignKey(SubsidyRate, on_delete=models.PROTECT, related_name="changes")
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    old = models.JSONField(_("before"), null=True, blank=True)
    new = models.JSONField(_("after"))

    class Meta:
        verbose_name = _("subsidy rate change")
        verbose_name_plural = _("subsidy rate changes")
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.rate_id} @ {self.changed_at:%Y-%m-%d %H:%M}"

    @property
    def old_status_label(self) -> str:
        return SubsidyRate.Status(self.old["status"]).label if self.old else ""

    @property
    def new_status_label(self) -> str:
        return SubsidyRate.Status(self.new["status"]).label


class RoundReminder(models.Model):
    """An area office's reminder to its schools not yet certified: who sent it, when, to which."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="reminders")
    area_office = models.ForeignKey(
        "schools.AreaOffice", on_delete=models.PROTECT, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    school_codes = models.JSONField(default=list)

    class Meta:
        verbose_name = _("round reminder")
        verbose_name_plural = _("round reminders")
        ordering = ["-sent_at"]

    def __str__(self):
        return f"{self.area_office_id} · {self.round_id} · {len(self.school_codes)}"


class CalendarFeed(models.Model):
    """A user's private calendar link (.ics). Only a hash of its token is kept; revoking ends it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar link")
        verbose_name_plural = _("calendar links")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="one_live_calendar_feed"
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.created_at:%Y-%m-%d}"


class AutomaticReminder(models.Model):
    """An e-mail the system sent by itself to one school for one round: each occasion once."""

    class Kind(models.TextChoices):
        DAY_BEFORE = "day_before", _("The day before the count day")
        AFTERNOON = "afternoon", _("14:30 on the count day")
        DIRECTOR = "director", _("A confirmation waits for the director")

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # What makes the occasion unique: a director is told of each confirmation once.
    occasion = models.CharField(max_length=40, blank=True)
    recipients = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("automatic reminder")
        verbose_name_plural = _("automatic reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "school", "kind", "occasion"], name="one_reminder_per_occasion"
            )
        ]

    def __str__(self):
        return f"{self.round} · {self.school_id} · {self.kind}"


class RolloverChoice(models.TextChoices):
    """What becomes of a learner when the school year turns over."""

    MOVE_UP = "move_up", _("Moves up a grade here")
    GRADUATE = "graduate", _("Finishes and leaves")
    REPEAT = "repeat", _("Repeats the grade")


class RolloverDecision(models.Model):
    """A school's choice for one learner before the rollover, where it differs from the default
    (a final grade graduates, every other grade moves up)."""

    academic_year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(
        "schools.Enrollment", on_delete=models.PROTECT, related_name="rollover_decisions"
    )
    choice = models.CharField(_("choice"), max_length=10, choices=RolloverChoice.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rollover decision")
        verbose_name_plural = _("rollover decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["academic_year", "enrollment"], name="one_rollover_decision"
            )
        ]

    def __str__(self):
        return f"{self.academic_year} · {self.enrollment_id} · {self.choice}"


class SchoolRollover(models.Model):
    """One school's move into a new academic year: done once, with what moved, and its record."""

    academic_year = models.ForeignKey(AcademicYear, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # {grade: {"move_up": n, "graduate": n, "repeat": n}} as the roster stood before.
    counts = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("school rollover")
        verbose_name_plural = _("school rollovers")
        constraints = [
            models.UniqueConstraint(
                fields=["academic_year", "school"], name="one_rollover_per_year"
            )
        ]

    def __str__(self):
        return f"{self.academic_year} · {self.school_id}"


class SnapshotGradeCount(models.Model):
    """One grade of a snapshot: its learners, by sex, and those under the subsidy's minimum age on
    the as-of date. Written with the snapshot, in the same transaction, so that reports and
    allocations read a few rows per school, never the rows of millions of learners. Never changed."""

    # CASCADE: the counts belong to their snapshot (itself never deleted once it has rows).
    snapshot = models.ForeignKey(
        RosterSnapshot, on_delete=models.CASCADE, related_name="grade_counts"
    )
    grade = models.CharField(max_length=4)
    learners = models.PositiveIntegerField()
    male = models.PositiveIntegerField()
    female = models.PositiveIntegerField()
    under_age = models.PositiveIntegerField()
    # The minimum age under_age was counted with (settings.SUBSIDY_MIN_AGE at the freeze).
    min_age = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("snapshot grade count")
        verbose_name_plural = _("snapshot grade counts")
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "grade"], name="one_grade_count_per_snapshot"
            )
        ]

    def __str__(self):
        return f"{self.snapshot_id}: {self.grade} = {self.learners}"


class SnapshotNutritionCount(models.Model):
    """The learners of a snapshot in one band of one nutrition indicator, by grade and sex (band
    empty: no status — not measured, or a measurement without one). Written with the snapshot, in
    the same transaction, so that nutrition reports read a few rows per school. Never changed."""

    class Indicator(models.TextChoices):
        WFH = "wfh", _("Build: weight for height (BMI for age from 5 years)")
        HFA = "hfa", _("Height for age")
        WFA = "wfa", _("Weight for age (up to 10 years)")

    # CASCADE: the counts belong to their snapshot (itself never deleted once it has rows).
    snapshot = models.ForeignKey(
        RosterSnapshot, on_delete=models.CASCADE, related_name="nutrition_counts"
    )
    grade = models.CharField(max_length=4)
    sex = models.CharField(max_length=1)
    indicator = models.CharField(max_length=3, choices=Indicator.choices)
    band = models.CharField(max_length=20, blank=True)
    learners = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("snapshot nutrition count")
        verbose_name_plural = _("snapshot nutrition counts")
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "indicator", "grade", "sex", "band"],
                name="one_nutrition_count_per_cell",
            )
        ]

    def __str__(self):
        return f"{self.snapshot_id}: {self.indicator} {self.grade} {self.sex} {self.band}"
