from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CensusConfig(AppConfig):
    name = "census"
    verbose_name = _("Count rounds and reports")

    def ready(self):
        # Imported here, once the apps are loaded (models may not be imported before). The roster
        # below may not import the census: the census registers its roster lock and its rule.
        from schools.services import roster_lock_check_register
        from schools.validation import school_rule_register

        from .roster_checks import grade_count_changes
        from .selectors import roster_locked

        roster_lock_check_register(roster_locked)
        school_rule_register(grade_count_changes)
