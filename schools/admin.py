from django.contrib import admin

from accounts.admin import MinistryAdminMixin

from .models import AreaOffice, AuditEntry, Enrollment, School, Student


@admin.register(AreaOffice)
class AreaOfficeAdmin(MinistryAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name_th", "kind", "province")
    list_filter = ("kind",)
    search_fields = ("code", "name_th", "name_en")


@admin.register(School)
class SchoolAdmin(MinistryAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name_th", "area_office", "province", "status")
    list_filter = ("status", "area_office__kind")
    search_fields = ("code", "name_th")
    list_select_related = ("area_office",)
    autocomplete_fields = ("area_office", "merged_into")


class ReadOnlyAdminMixin(MinistryAdminMixin):
    """Show records that change only through services: learners, enrollments, audit."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Student)
class StudentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("public_id", "title", "first_name_th", "last_name_th", "sex", "birth_date")
    search_fields = ("citizen_id", "gcode", "first_name_th", "last_name_th")


@admin.register(Enrollment)
class EnrollmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("student", "school", "grade", "room", "status", "started_on", "ended_on")
    list_filter = ("status", "grade")
    list_select_related = ("student", "school")
    raw_id_fields = ("student", "school")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "action", "student", "school", "actor")
    list_filter = ("action",)
    list_select_related = ("student", "school", "actor")
    raw_id_fields = ("student", "school", "actor")
