from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.audit import role_change_record
from accounts.permissions import can_administer, sync_user_permissions
from accounts.services import membership_create
from accounts.user_sessions import user_sessions_end

from .models import Invitation, Membership, RoleChange, SecurityEvent, User


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

    def save_model(self, request, obj, form, change):
        """Save; an account disabled here has every session of its person ended at once."""
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_sessions_end(user=obj, actor=request.user, reason="account disabled")


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

    def get_readonly_fields(self, request, obj=None):
        # Who held which role where, and since when, is history: a role given by mistake is
        # ended (and a new one given), so that what its holder signed keeps its meaning.
        if obj is not None:
            return ("user", "role", "school", "area_office", "starts_on")
        return ()

    def save_model(self, request, obj, form, change):
        """Give or end a role through the same writes as the People pages, audited."""
        if not change:
            created = membership_create(
                user=obj.user, role=obj.role, school=obj.school, area_office=obj.area_office,
                starts_on=obj.starts_on, ends_on=obj.ends_on, actor=request.user,
            )  # fmt: skip
            obj.pk, obj._state.adding = created.pk, False
            return
        super().save_model(request, obj, form, change)
        sync_user_permissions(obj.user)
        if "ends_on" in form.changed_data and not obj.is_active():
            user_sessions_end(user=obj.user, actor=request.user, reason="role ended")
        if "ends_on" in form.changed_data:
            was = form.initial.get("ends_on")
            role_change_record(
                action=RoleChange.Action.ENDED if obj.ends_on else RoleChange.Action.GRANTED,
                actor=request.user, role=obj.role, user=obj.user, school=obj.school,
                area_office=obj.area_office,
                details={"ends_on": obj.ends_on.isoformat() if obj.ends_on else None,
                         "was": was.isoformat() if was else None, "via": "admin"},
            )  # fmt: skip


class ReadOnlyMixin(MinistryAdminMixin):
    """Shown to the ministry, changed only through the people pages (whose services audit)."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("email", "role", "school", "area_office", "created_at", "expires_at",
                    "accepted_at", "revoked_at")  # fmt: skip
    list_filter = ("role",)
    search_fields = ("email", "school__code", "area_office__code")
    list_select_related = ("school", "area_office")
    exclude = ("token_hash",)


@admin.register(RoleChange)
class RoleChangeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "user", "email", "role", "school",
                    "area_office")  # fmt: skip
    list_filter = ("action", "role")
    search_fields = ("email", "user__username", "school__code", "area_office__code")
    list_select_related = ("actor", "user", "school", "area_office")


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "action", "user", "actor", "ip_address")
    list_filter = ("action",)
    search_fields = ("user__username", "actor__username", "ip_address")
    list_select_related = ("user", "actor")
