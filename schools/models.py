import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Now
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .identifiers import format_citizen_id, mask_citizen_id, mask_gcode
from .nutrition import Band, Issue


class AreaOffice(models.Model):
    """An educational service area office (สพป. primary or สพม. secondary)."""

    class Kind(models.TextChoices):
        PRIMARY = "primary", pgettext_lazy("area office", "Primary (PESAO)")
        SECONDARY = "secondary", pgettext_lazy("area office", "Secondary (SESAO)")

    code = models.CharField(_("code"), max_length=10, unique=True)
    name_th = models.CharField(_("Thai name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    province = models.CharField(_("province"), max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        verbose_name = _("area office")
        verbose_name_plural = _("area offices")
        ordering = ["code"]
        permissions = [
            ("oversee_area", _("Can watch the schools of the area office")),
            ("approve_dropout", _("Can approve dropouts and removals")),
            ("approve_gcode", _("Can verify and issue G-codes")),
            ("acknowledge_round", _("Can acknowledge a certified round")),
            ("approve_id_correction", _("Can approve citizen-ID corrections")),
        ]

    def __str__(self):
        return self.name_th


class Grade(models.TextChoices):
    """Grade levels in school order; the value sorts in that order."""

    K1 = "01K1", pgettext_lazy("grade", "K1")
    K2 = "02K2", pgettext_lazy("grade", "K2")
    K3 = "03K3", pgettext_lazy("grade", "K3")
    P1 = "04P1", pgettext_lazy("grade", "P1")
    P2 = "05P2", pgettext_lazy("grade", "P2")
    P3 = "06P3", pgettext_lazy("grade", "P3")
    P4 = "07P4", pgettext_lazy("grade", "P4")
    P5 = "08P5", pgettext_lazy("grade", "P5")
    P6 = "09P6", pgettext_lazy("grade", "P6")
    M1 = "10M1", pgettext_lazy("grade", "M1")
    M2 = "11M2", pgettext_lazy("grade", "M2")
    M3 = "12M3", pgettext_lazy("grade", "M3")
    M4 = "13M4", pgettext_lazy("grade", "M4")
    M5 = "14M5", pgettext_lazy("grade", "M5")
    M6 = "15M6", pgettext_lazy("grade", "M6")


class SchoolQuerySet(models.QuerySet):
    """Schools, with the one rule of which of them count: the open ones."""

    def open(self) -> "SchoolQuerySet":
        """Return the schools open today: those that count for rounds, surveys and dashboards."""
        return self.filter(status=School.Status.OPEN)

    def open_on(self, day) -> "SchoolQuerySet":
        """Return the schools that were open on a day (a round's as-of date): those closed later too."""
        return self.filter(Q(status=School.Status.OPEN) | Q(closed_on__gt=day))


class School(models.Model):
    """A basic-education school, identified by its 10-digit ministry code."""

    class Size(models.TextChoices):
        SMALL = "small", pgettext_lazy("school size", "Small")
        MEDIUM = "medium", pgettext_lazy("school size", "Medium")
        LARGE = "large", pgettext_lazy("school size", "Large")
        EXTRA_LARGE = "extra_large", pgettext_lazy("school size", "Extra large")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("school status", "Open")
        CLOSED = "closed", pgettext_lazy("school status", "Closed")
        MERGED = "merged", pgettext_lazy("school status", "Merged")

    code = models.CharField(_("school code"), max_length=10, unique=True)
    name_th = models.CharField(_("Thai name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    area_office = models.ForeignKey(
        AreaOffice, on_delete=models.PROTECT, related_name="schools", verbose_name=_("area office")
    )
    province = models.CharField(_("province"), max_length=100)
    district = models.CharField(_("district"), max_length=100, blank=True)
    subdistrict = models.CharField(_("sub-district"), max_length=100, blank=True)
    size = models.CharField(_("size class"), max_length=12, choices=Size.choices, blank=True)
    # A school that closes or merges keeps its rows and history; it only stops counting.
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.OPEN,
        db_default=Status.OPEN.value,
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_schools",
        verbose_name=_("merged into"),
    )
    # The grades the school teaches (grade codes sort in school order): อ.1–ป.6 for a primary
    # school, ม.1–ม.6 for a secondary one, อ.1–ม.3 for an "opportunity expansion" school.
    lowest_grade = models.CharField(
        _("lowest grade taught"),
        max_length=4,
        choices=Grade.choices,
        default=Grade.K1,
        db_default=Grade.K1.value,
    )
    highest_grade = models.CharField(
        _("highest grade taught"),
        max_length=4,
        choices=Grade.choices,
        default=Grade.M6,
        db_default=Grade.M6.value,
    )
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = SchoolQuerySet.as_manager()

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["code"]
        permissions = [
            ("keep_roster", _("Can keep the school's roster")),
            ("confirm_round", _("Can confirm the school's data on the count day")),
            ("certify_round", _("Can certify the school's data on the count day")),
        ]
        constraints = [
            models.CheckConstraint(
                name="school_code_has_10_digits", condition=Q(Exact(Length("code"), 10))
            ),
            models.CheckConstraint(
                name="school_grade_range_ordered", condition=Q(lowest_grade__lte=F("highest_grade"))
            ),
            models.CheckConstraint(
                name="school_closed_has_date",
                condition=(Q(status="open") & Q(closed_on__isnull=True))
                | (~Q(status="open") & Q(closed_on__isnull=False)),
            ),
            models.CheckConstraint(
                name="school_merged_names_its_school",
                condition=(Q(status="merged") & Q(merged_into__isnull=False))
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
            ),
        ]

    def __str__(self):
        return self.name_th

    def teaches(self, grade: str) -> bool:
        """Return whether the school teaches a grade."""
        return self.lowest_grade <= grade <= self.highest_grade


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Title(models.TextChoices):
    BOY = "ด.ช.", _("Master")
    GIRL = "ด.ญ.", _("Miss (child)")
    MR = "นาย", _("Mr")
    MISS = "น.ส.", _("Miss")
    MRS = "นาง", _("Mrs")


class Student(models.Model):
    """A learner, known by a 13-digit citizen ID or, without civil registration, by a G-code."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    citizen_id = models.CharField(
        _("citizen ID"), max_length=13, null=True, blank=True, unique=True
    )
    gcode = models.CharField(_("G-code"), max_length=13, null=True, blank=True, unique=True)
    title = models.CharField(_("title"), max_length=10, choices=Title.choices)
    first_name_th = models.CharField(_("first name (Thai)"), max_length=100)
    last_name_th = models.CharField(_("last name (Thai)"), max_length=100)
    first_name_en = models.CharField(_("first name (English)"), max_length=100, blank=True)
    last_name_en = models.CharField(_("last name (English)"), max_length=100, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    nationality = models.CharField(_("nationality"), max_length=60, default="ไทย")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("learner")
        verbose_name_plural = _("learners")
        constraints = [
            models.CheckConstraint(
                name="student_has_citizen_id_or_gcode",
                condition=Q(citizen_id__isnull=False) | Q(gcode__isnull=False),
            ),
            models.CheckConstraint(
                name="student_citizen_id_13_chars",
                condition=Q(citizen_id__isnull=True) | Q(Exact(Length("citizen_id"), 13)),
            ),
            models.CheckConstraint(
                name="student_gcode_shape",
                condition=Q(gcode__isnull=True)
                | (Q(Exact(Length("gcode"), 13)) & Q(gcode__startswith="G")),
            ),
        ]
        indexes = [models.Index(fields=["last_name_th", "first_name_th"])]

    def __str__(self):
        return self.full_name_th

    @property
    def full_name_th(self) -> str:
        """Return the Thai name with its title, as the ministry prints it."""
        return f"{self.title}{self.first_name_th} {self.last_name_th}"

    @property
    def full_name_en(self) -> str:
        """Return the English name, or an empty string."""
        return f"{self.first_name_en} {self.last_name_en}".strip()

    @property
    def identifier(self) -> str:
        """Return the formatted citizen ID, or the G-code."""
        return format_citizen_id(self.citizen_id) if self.citizen_id else (self.gcode or "")

    @property
    def identifier_masked(self) -> str:
        """Return the identifier with its middle hidden."""
        return mask_citizen_id(self.citizen_id) if self.citizen_id else mask_gcode(self.gcode)


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    DROPPED_OUT = "dropped_out", _("Dropped out")
    REMOVED = "removed", _("Removed from the roll")
    GRADUATED = "graduated", _("Graduated")


class Enrollment(models.Model):
    """A learner's place at one school, in one grade and room, from a start date to an end date."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="enrollments")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="enrollments")
    grade = models.CharField(_("grade"), max_length=4, choices=Grade.choices)
    room = models.PositiveSmallIntegerField(_("room"), default=1)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=EnrollmentStatus.choices,
        default=EnrollmentStatus.ACTIVE,
    )
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    exit_school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moved to school"),
    )
    exit_note = models.CharField(_("destination or note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            # A learner is counted at one school at most, in the whole country.
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(status="active"),
                name="one_active_enrollment_per_student",
            ),
            models.CheckConstraint(
                name="enrollment_active_has_no_end",
                condition=(Q(status="active") & Q(ended_on__isnull=True))
                | (~Q(status="active") & Q(ended_on__isnull=False)),
            ),
            models.CheckConstraint(name="enrollment_room_positive", condition=Q(room__gte=1)),
        ]
        indexes = [
            models.Index(fields=["school", "status", "grade", "room"]),
        ]

    def __str__(self):
        return f"{self.student} · {self.school} · {self.get_grade_display()}/{self.room}"


class Measurement(models.Model):
    """A learner's weight and height on one date (menu 3.1.1)."""

    class Source(models.TextChoices):
        FORM = "form", _("Entered on the learner page")
        GRID = "grid", _("Entered on the room grid")
        UPLOAD = "upload", _("Uploaded file")
        SEED = "seed", _("Demo or scale data")

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="measurements")
    measured_on = models.DateField(_("measured on"))
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=5, decimal_places=1)
    height_cm = models.DecimalField(_("height (cm)"), max_digits=5, decimal_places=1)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The nutrition status, computed when the figures are saved (schools/nutrition.py) and kept so
    # that reports group by it; an empty nutrition_reference means not computed yet (the backfill).
    # Defaults in the database too: a bulk COPY that names only the figures (seed_scale) still loads.
    age_days = models.PositiveIntegerField(_("age in days"), null=True, blank=True)
    wfh_z = models.DecimalField(
        _("weight-for-height z-score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    hfa_z = models.DecimalField(
        _("height-for-age z-score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    wfa_z = models.DecimalField(
        _("weight-for-age z-score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    wfh_band = models.CharField(
        _("weight for height"),
        max_length=20,
        choices=Band.choices,
        blank=True,
        default="",
        db_default="",
    )
    hfa_band = models.CharField(
        _("height for age"),
        max_length=20,
        choices=Band.choices,
        blank=True,
        default="",
        db_default="",
    )
    wfa_band = models.CharField(
        _("weight for age"),
        max_length=20,
        choices=Band.choices,
        blank=True,
        default="",
        db_default="",
    )
    nutrition_issue = models.CharField(
        _("nutrition status issue"),
        max_length=20,
        choices=Issue.choices,
        blank=True,
        default="",
        db_default="",
    )
    nutrition_reference = models.CharField(
        max_length=40, blank=True, default="", db_default="", editable=False
    )

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        constraints = [
            models.UniqueConstraint(
                fields=["student", "measured_on"], name="one_measurement_per_day"
            ),
            models.CheckConstraint(
                name="measurement_positive", condition=Q(weight_kg__gt=0) & Q(height_cm__gt=0)
            ),
        ]
        ordering = ["-measured_on"]

    def __str__(self):
        return f"{self.student} {self.measured_on}: {self.weight_kg} kg, {self.height_cm} cm"


class AuditEntry(models.Model):
    """One change to a learner or an enrollment: who, when, what (old → new) and why. Never edited."""

    class Action(models.TextChoices):
        ADD = "add", _("Learner added")
        ENROLL = "enroll", _("Enrolled")
        TRANSFER_OUT = "transfer_out", _("Transferred out")
        CLASS_EDIT = "class_edit", _("Class or room changed")
        NAME_EDIT = "name_edit", _("Name changed")
        MEASURE = "measure", _("Weight and height recorded")
        DOCUMENT = "document", _("Document uploaded")
        STATUS = "status", _("Enrollment status changed")
        ID_CHANGE = "id_change", _("Citizen ID or G-code changed")
        DETAILS_EDIT = "details_edit", _("Sex or birth date corrected")

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="audit_entries")
    school = models.ForeignKey(School, on_delete=models.PROTECT, null=True, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.student_id}"


class StudentDocument(models.Model):
    """Evidence uploaded for a learner or a request (menu 2.7.9): a PDF, JPEG or PNG file."""

    class Kind(models.TextChoices):
        BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
        ID_CARD = "id_card", _("Copy of the ID card")
        HOUSE_REGISTRATION = "house_registration", _("House registration")
        TRANSFER_LETTER = "transfer_letter", _("Transfer letter")
        OTHER = "other", _("Other evidence")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    student = models.ForeignKey(
        Student, on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="student_documents")
    # A request (dropout, ID correction, ...) that the evidence supports, as "app.model:pk".
    request_key = models.CharField(max_length=100, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    file = models.FileField(_("file"), upload_to="evidence/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence document")
        verbose_name_plural = _("evidence documents")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.original_name}"


class UploadProgress(models.Model):
    """A file a school uploaded and that is processed in the background: its progress and outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Processing")
        DONE = "done", _("Saved")
        REJECTED = "rejected", _("Rejected: nothing saved")
        FAILED = "failed", _("Failed: nothing saved")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to="uploads/%Y/%m/")
    original_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        """Return the share of rows processed, 0 to 100."""
        if self.status in (self.Status.DONE, self.Status.REJECTED):
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REJECTED, self.Status.FAILED)


class MeasurementUpload(UploadProgress):
    """A weight and height file uploaded by a school, with its progress and its outcome."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="measurement_uploads")
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("weight and height upload")
        verbose_name_plural = _("weight and height uploads")
        ordering = ["-created_at"]


class RosterImport(UploadProgress):
    """A roster file of a school (or of an area office's schools): its preview, then its outcome."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Checked: not applied yet")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Processing")
        DONE = "done", _("Saved")
        REJECTED = "rejected", _("Rejected: nothing saved")
        FAILED = "failed", _("Failed: nothing saved")

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="roster_imports"
    )
    # An area office's file holds rows for many of its schools (a school-code column).
    area_office = models.ForeignKey(
        AreaOffice, on_delete=models.PROTECT, null=True, blank=True, related_name="roster_imports"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    # The plan shown before applying: row kind → count, and each row as the preview lists it.
    counts = models.JSONField(default=dict)
    preview = models.JSONField(default=list)
    # What applying did: added, enrolled, changed, unchanged, transfers, measured, refused.
    outcome = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("roster file")
        verbose_name_plural = _("roster files")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="roster_import_for_a_school_or_an_area",
                condition=Q(school__isnull=False, area_office__isnull=True)
                | Q(school__isnull=True, area_office__isnull=False),
            )
        ]


class QueryExplanation(models.Model):
    """A school's explanation of a validation query (a finding that needs a reason, not a fix)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="query_explanations")
    rule = models.CharField(max_length=40)
    subject_key = models.CharField(max_length=80)
    text = models.CharField(_("explanation"), max_length=500)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    explained_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("query explanation")
        verbose_name_plural = _("query explanations")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "rule", "subject_key"], name="one_explanation_per_query"
            )
        ]

    def __str__(self):
        return f"{self.rule}:{self.subject_key}"


class IssuedGCode(models.Model):
    """A G-code known to have been issued, so that menu 2.7.4 adds a learner only with a real one.

    Written by OpenDMC's G-code request when it issues a code, by the area office for a code the
    national G-code system issued (with its evidence), or for a learner who held the code before
    issuances were recorded. Never changed, except to note the learner who took the code."""

    class Source(models.TextChoices):
        OPENDMC = "opendmc", _("OpenDMC's G-code request")
        NATIONAL = "national", _("The national G-code system")
        EARLIER = "earlier", _("Held by a learner before issuances were recorded")

    gcode = models.CharField(_("G-code"), max_length=13, unique=True)
    source = models.CharField(_("issued by"), max_length=10, choices=Source.choices)
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued for school"),
    )
    learner_name = models.CharField(_("learner's name as issued"), max_length=200, blank=True)
    # One code, one learner: a second learner can never take a code already taken.
    student = models.OneToOneField(
        Student, on_delete=models.PROTECT, null=True, blank=True, related_name="gcode_issuance"
    )
    # The G-code request that issued it ("workflows.gcodeprocess:<pk>"), if OpenDMC did.
    request_key = models.CharField(max_length=100, blank=True)
    evidence = models.ForeignKey(
        StudentDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("issued G-code")
        verbose_name_plural = _("issued G-codes")
        ordering = ["-registered_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="issued_gcode_shape",
                condition=Q(Exact(Length("gcode"), 13)) & Q(gcode__startswith="G"),
            ),
            models.CheckConstraint(
                name="national_gcode_has_evidence",
                condition=~Q(source="national") | Q(evidence__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.gcode} ({self.get_source_display()})"


class RegisterImport(models.Model):
    """A ministry school-list file uploaded for import: kept from its preview to its apply."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        APPLIED = "applied", _("Applied")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(upload_to="register/%Y/%m/")
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # The digest of the preview's plan: apply re-plans and refuses if the plan is not the same.
    plan_digest = models.CharField(max_length=64)
    summary = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("school list import")
        verbose_name_plural = _("school list imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"


class RegisterChange(models.Model):
    """One change the ministry's school list made to an area office or a school. Never edited."""

    class Kind(models.TextChoices):
        AREA_OFFICE = "area_office", _("Area office")
        SCHOOL = "school", _("School")

    class Action(models.TextChoices):
        ADD = "add", _("Added")
        CHANGE = "change", _("Changed")
        CLOSE = "close", _("Closed or merged")

    register_import = models.ForeignKey(
        RegisterImport, on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    code = models.CharField(max_length=10, db_index=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    changes = models.JSONField(default=dict)
    source_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("school list change")
        verbose_name_plural = _("school list changes")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.code}: {self.get_action_display()}"
