from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.permissions import can_administer, sync_user_permissions

from .models import Membership, User


class MinistryAdminMixin:
    """Let the ministry admin manage a model through the admin, by membership rather than model grants."""

    def has_module_permission(self, request):
        return can_administer(request.user)

    def has_view_permission(self, request, obj=None):
        return can_administer(request.user)

    def has_add_permission(self, request, *args):
        return can_administer(request.user)

    def has_change_permission(self, request, obj=None):
        return can_administer(request.user)

    def has_delete_permission(self, request, obj=None):
        return can_administer(request.user)


@admin.register(User)
class UserAdmin(MinistryAdminMixin, BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + ((None, {"fields": ("title",)}),)
    list_display = ("username", "title", "first_name", "last_name", "email", "is_active")


@admin.register(Membership)
class MembershipAdmin(MinistryAdminMixin, admin.ModelAdmin):
    list_display = ("user", "role", "school", "area_office", "starts_on", "ends_on")
    list_filter = ("role",)
    search_fields = ("user__username", "school__code", "school__name_th", "area_office__code")
    autocomplete_fields = ("user", "school", "area_office")
    list_select_related = ("user", "school", "area_office")

    def has_delete_permission(self, request, obj=None):
        # A membership is ended, never deleted: the history of who held which role stays.
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        sync_user_permissions(obj.user)
