from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Workflows")

    def ready(self):
        # A roster file's learners active elsewhere become transfer requests of this app's flow.
        # Imported here, once the apps are loaded (models may not be imported before).
        from schools.roster_services import roster_transfer_starter_register

        from .roster_transfers import transfer_requests_from_roster

        roster_transfer_starter_register(transfer_requests_from_roster)
