from django.contrib import admin

from schools.admin import ReadOnlyAdminMixin

from .models import SignedDocument


@admin.register(SignedDocument)
class SignedDocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Show signed records; they change only through documents.services, and never after signing."""

    list_display = (
        "stated_at",
        "signed_at",
        "kind",
        "title",
        "school",
        "area_office",
        "actor_name",
        "status",
    )
    list_filter = ("kind", "status")
    search_fields = ("public_id", "step_key", "school__code", "school__name_th", "title")
    list_select_related = ("school", "area_office")
    raw_id_fields = ("school", "area_office", "actor", "parent")
    readonly_fields = ("public_id", "created_at")
