import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a signed record attests. Add a kind here when a new flow starts signing."""

    CONFIRMATION = "confirmation", _("Confirmation record")
    CERTIFICATION = "certification", _("Certification record")
    ROSTER_ANNEX = "roster_annex", _("Roster annex")
    REVOCATION = "revocation", _("Revocation record")
    SEND_BACK = "send_back", _("Send-back record")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement record")
    DROPOUT_DECISION = "dropout_decision", _("Dropout decision")
    ID_CORRECTION_DECISION = (
        "id_correction_decision",
        _("ID correction decision"),
    )
    TRANSFER_RECORD = "transfer_record", _("Transfer record")
    GCODE_RECORD = "gcode_record", _("G-code record")
    BUILDING_SURVEY = "building_survey", _("Building survey")
    ALLOCATION_STATEMENT = "allocation_statement", _("Allocation statement")
    ROLLOVER_SUMMARY = "rollover_summary", _("Rollover summary")
    OTHER = "other", _("Other record")


class SignedDocument(models.Model):
    """A rendered, signed PDF record of one step; written once and never changed.

    A short record is written ready. A long annex is written pending, with what it needs to be
    rendered later, and a Celery task turns it ready (or failed) exactly once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300)
    school = models.ForeignKey(
        "schools.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signed_documents",
        verbose_name=_("school"),
    )
    area_office = models.ForeignKey(
        "schools.AreaOffice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signed_documents",
        verbose_name=_("area office"),
    )
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    # One document per step of a flow: a retry or a double click finds the same row.
    step_key = models.CharField(_("step key"), max_length=200, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="annexes",
        verbose_name=_("attached to"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.READY
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acted by"),
    )
    # Frozen at signing: a later change of name or role does not rewrite history.
    actor_name = models.CharField(_("signer name"), max_length=200)
    actor_role = models.CharField(_("signer role"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    # The date the record states (the moment of the act it records), printed as its date; the
    # signature keeps its own, real time in signed_at. Empty on records made before it existed,
    # which state their signing time.
    stated_at = models.DateTimeField(_("dated"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    file = models.FileField(_("file"), upload_to="documents/%Y/%m/", blank=True, max_length=200)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    # What a pending annex needs to be rendered by the task (empty for short records).
    template = models.CharField(_("template"), max_length=200, blank=True)
    context_builder = models.CharField(_("context builder"), max_length=200, blank=True)
    context_kwargs = models.JSONField(_("context arguments"), default=dict, blank=True)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("signed document")
        verbose_name_plural = _("signed documents")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="signed_document_ready_has_file",
                condition=~Q(status="ready")
                | (~Q(file="") & Q(Exact(Length("sha256"), 64)) & Q(signed_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="signed_document_subject_whole",
                condition=Q(subject_type__isnull=True, subject_id="")
                | (Q(subject_type__isnull=False) & ~Q(subject_id="")),
            ),
        ]
        indexes = [
            models.Index(fields=["school", "-created_at"]),
            models.Index(fields=["subject_type", "subject_id"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.title}"

    def get_absolute_url(self):
        return reverse("documents:verify", args=[self.public_id])

    @property
    def dated_at(self):
        """Return the date the record states: the moment of its act, else its signing time."""
        return self.stated_at or self.signed_at

    @property
    def is_ready(self) -> bool:
        """Return whether the signed file exists."""
        return self.status == self.Status.READY
