"""B-OBEC: each school's buildings and land, the yearly survey window and each school's survey."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

SQM_PER_RAI = 1600
SQM_PER_NGAN = 400
SQM_PER_SQWA = 4


class SurveyYear(models.Model):
    """The building survey of one academic year: its window (1 October 00:00 – 30 October 16:30)."""

    year = models.PositiveSmallIntegerField(_("academic year (BE)"), unique=True)
    opens = models.DateTimeField(_("survey opens"))
    closes = models.DateTimeField(_("survey closes"))
    opened_at = models.DateTimeField(_("processes started at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("building survey year")
        verbose_name_plural = _("building survey years")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                name="survey_year_is_buddhist_era", condition=Q(year__gte=2500, year__lte=2700)
            ),
            models.CheckConstraint(
                name="survey_window_ordered",
                condition=Q(opens__lt=F("closes")),
                violation_error_message=_("The window must close after it opens."),
            ),
        ]

    def __str__(self):
        return str(self.year)

    @property
    def fiscal_year(self) -> int:
        """Return the fiscal year (BE) whose budget request the survey feeds: two years later."""
        return self.year + 2


class SchoolSurvey(models.Model):
    """One school's way through one survey year: what the dashboard and the budget list read."""

    class State(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Waiting for the director")
        CERTIFIED = "certified", _("Certified")
        MISSED = "missed", _("Missed")

    survey_year = models.ForeignKey(
        SurveyYear, on_delete=models.PROTECT, related_name="school_surveys"
    )
    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, related_name="building_surveys"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.NOT_STARTED
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    certified_at = models.DateTimeField(null=True, blank=True)
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    missed_at = models.DateTimeField(null=True, blank=True)
    last_rejection = models.CharField(_("last rejection reason"), max_length=500, blank=True)
    # The building figures as certified (see buildings.selectors.building_summary): what the
    # signed record prints and the budget-request list reads, whatever changes afterwards.
    summary = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("school building survey")
        verbose_name_plural = _("school building surveys")
        constraints = [
            models.UniqueConstraint(fields=["survey_year", "school"], name="one_survey_per_school")
        ]
        indexes = [models.Index(fields=["survey_year", "state"])]

    def __str__(self):
        return f"{self.school} · {self.survey_year} · {self.get_state_display()}"


class Building(models.Model):
    """A building or construction of a school (B-OBEC register)."""

    class Kind(models.TextChoices):
        CLASSROOM = "classroom", _("Classroom building")
        HALL = "hall", _("Hall")
        TOILET = "toilet", _("Toilet")
        HOUSING = "housing", _("Teacher housing")
        WATER_TANK = "water_tank", _("Water tank")
        FENCE = "fence", _("Fence")
        OTHER = "other", _("Other")

    class Condition(models.TextChoices):
        GOOD = "good", pgettext_lazy("condition", "Good")
        FAIR = "fair", pgettext_lazy("condition", "Fair")
        POOR = "poor", pgettext_lazy("condition", "Deteriorated")
        VERY_POOR = "very_poor", pgettext_lazy("condition", "Badly damaged")

    class Funding(models.TextChoices):
        BUDGET = "budget", _("Government budget")
        LOCAL = "local", _("Local government")
        DONATION = "donation", _("Donation")
        SCHOOL = "school", _("School's own funds")
        OTHER = "other", _("Other")

    POOR_CONDITIONS = (Condition.POOR, Condition.VERY_POOR)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="buildings")
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120, help_text=_("e.g. Building 1"))
    design_code = models.CharField(
        _("standard design"), max_length=60, blank=True, help_text=_("e.g. SPC 102/26, P.1Ch")
    )
    year_built = models.PositiveSmallIntegerField(_("year built (BE)"))
    rooms_design = models.PositiveSmallIntegerField(_("rooms by design"), default=0)
    rooms_in_use = models.PositiveSmallIntegerField(_("rooms in use"), default=0)
    special_rooms = models.CharField(
        _("special rooms"), max_length=300, blank=True, help_text=_("e.g. library, science lab")
    )
    floor_area_m2 = models.DecimalField(
        _("floor area (m²)"), max_digits=9, decimal_places=2, default=Decimal("0")
    )
    cost_baht = models.DecimalField(
        _("cost (baht)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    funding = models.CharField(
        _("funding source"), max_length=10, choices=Funding.choices, default=Funding.BUDGET
    )
    condition = models.CharField(_("condition"), max_length=10, choices=Condition.choices)
    in_use = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["school", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                name="building_year_is_buddhist_era",
                condition=Q(year_built__gte=2400, year_built__lte=2700),
            ),
            models.CheckConstraint(
                name="building_rooms_in_use_within_design",
                condition=Q(rooms_in_use__lte=F("rooms_design")),
            ),
        ]
        indexes = [models.Index(fields=["school", "kind"])]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def age(self, year_be: int) -> int:
        """Return the building's age in years in a Buddhist year."""
        return max(0, year_be - self.year_built)

    @property
    def is_poor(self) -> bool:
        return self.condition in self.POOR_CONDITIONS


def _photo_path(instance, filename):
    return f"buildings/{instance.building.school_id}/{filename}"


class BuildingPhoto(models.Model):
    """A photo of one side of a building (up to four: one per side; a new one replaces it)."""

    class Side(models.TextChoices):
        # "Back" alone is viewflow's back button: the side gets a context of its own.
        FRONT = "front", _("Front")
        BACK = "back", pgettext_lazy("building side", "Back")
        LEFT = "left", _("Left side")
        RIGHT = "right", _("Right side")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="photos")
    side = models.CharField(_("side"), max_length=5, choices=Side.choices)
    file = models.FileField(upload_to=_photo_path, max_length=200)
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("building photo")
        verbose_name_plural = _("building photos")
        constraints = [
            models.UniqueConstraint(fields=["building", "side"], name="one_photo_per_side")
        ]

    def __str__(self):
        return f"{self.building} · {self.get_side_display()}"


class SchoolLand(models.Model):
    """A school's land: its area (rai-ngan-square wa) and ownership document."""

    class Document(models.TextChoices):
        TITLE_DEED = "chanote", _("Title deed (chanote)")
        NS3 = "ns3", _("Certificate of use (N.S. 3)")
        STATE_LAND = "ratchaphatsadu", _("State land")
        PUBLIC_LAND = "public", _("Public land")
        TEMPLE_LAND = "temple", _("Temple land")
        NONE = "none", _("No document")
        OTHER = "other", _("Other")

    school = models.OneToOneField("schools.School", on_delete=models.PROTECT, related_name="land")
    rai = models.PositiveIntegerField(_("rai"), default=0)
    ngan = models.PositiveSmallIntegerField(_("ngan"), default=0)
    square_wa = models.DecimalField(
        _("square wa"), max_digits=5, decimal_places=1, default=Decimal("0")
    )
    document = models.CharField(
        _("ownership document"), max_length=15, choices=Document.choices, default=Document.NONE
    )
    document_number = models.CharField(_("document number"), max_length=60, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("school land")
        verbose_name_plural = _("school land")
        constraints = [
            models.CheckConstraint(name="land_ngan_below_4", condition=Q(ngan__lte=3)),
            models.CheckConstraint(name="land_wa_below_100", condition=Q(square_wa__lt=100)),
        ]

    def __str__(self):
        return f"{self.school}: {self.rai}-{self.ngan}-{self.square_wa}"

    @property
    def area_m2(self) -> Decimal:
        return self.rai * SQM_PER_RAI + self.ngan * SQM_PER_NGAN + self.square_wa * SQM_PER_SQWA


class ClassSize(models.Model):
    """Learners per classroom at a level: what the classroom shortage is counted with."""

    class Level(models.TextChoices):
        KINDERGARTEN = "kindergarten", _("Kindergarten")
        PRIMARY = "primary", _("Primary")
        SECONDARY = "secondary", _("Secondary")

    level = models.CharField(_("level"), max_length=12, choices=Level.choices, unique=True)
    learners_per_room = models.PositiveSmallIntegerField(_("learners per classroom"))

    class Meta:
        verbose_name = _("class size")
        verbose_name_plural = _("class sizes")
        constraints = [
            models.CheckConstraint(
                name="class_size_positive", condition=Q(learners_per_room__gte=1)
            )
        ]

    def __str__(self):
        return f"{self.get_level_display()}: {self.learners_per_room}"


class SurveyReminder(models.Model):
    """An area office's reminder to its schools that have not certified their survey."""

    survey_year = models.ForeignKey(SurveyYear, on_delete=models.PROTECT, related_name="+")
    area_office = models.ForeignKey(
        "schools.AreaOffice", on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    school_count = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("survey reminder")
        verbose_name_plural = _("survey reminders")
        indexes = [models.Index(fields=["area_office", "survey_year", "sent_at"])]

    def __str__(self):
        return f"{self.area_office} · {self.survey_year} · {self.sent_at:%Y-%m-%d %H:%M}"
