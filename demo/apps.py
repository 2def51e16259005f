from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo and the synthetic scale data: above every app, driving them as their users would."""

    name = "demo"
    verbose_name = _("Demo data")
