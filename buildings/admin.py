from django.contrib import admin

from accounts.admin import MinistryAdminMixin

from .models import ClassSize

# SurveyYear is registered by workflows.admin: a changed close moves the survey processes' timers.


@admin.register(ClassSize)
class ClassSizeAdmin(MinistryAdminMixin, admin.ModelAdmin):
    list_display = ("level", "learners_per_room")
