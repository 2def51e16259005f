from django.contrib import admin

from accounts.admin import MinistryAdminMixin
from buildings.models import SurveyYear

from .building_survey import survey_year_reschedule


# Registered here, above buildings, because saving a new close also moves the deadline and the
# armed timers of the year's open survey processes, which only the flow knows.
@admin.register(SurveyYear)
class SurveyYearAdmin(MinistryAdminMixin, admin.ModelAdmin):
    """The ministry sets each year's survey window; open processes follow a changed close."""

    list_display = ("year", "opens", "closes", "opened_at")
    readonly_fields = ("opened_at",)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "closes" in form.changed_data:
            survey_year_reschedule(survey_year=obj)
