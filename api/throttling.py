"""Rate limits per API key, counted in the cache (shared by every worker when CACHE_URL is set)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Limit each key to API_RATE_LIMIT calls (e.g. "600/min"), whoever holds it."""

    scope = "api_key"

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        if request.auth is None:
            return None  # no key: refused by authentication, not counted here
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
