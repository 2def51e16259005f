from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_cache_control

from accounts.oidc import oidc_logout_origins

# The pages and downloads that show learners' personal data (names, citizen IDs, guardians, evidence,
# signed records): every page of these URL namespaces (the rosters, the requests, the flows' task and
# process pages), and these pages of other namespaces. The one place that decides which they are.
PERSONAL_DATA_NAMESPACES = frozenset(
    {"schools", "workflows", "certification", "dropout", "idcorrection", "transfer", "gcode"}
)
PERSONAL_DATA_VIEWS = frozenset(
    {"documents:school_list", "documents:download", "census:rollover_review"}
)


def shows_personal_data(request) -> bool:
    """Return whether the request's page or download shows personal data."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    return match.view_name in PERSONAL_DATA_VIEWS or (
        bool(match.namespaces) and match.namespaces[0] in PERSONAL_DATA_NAMESPACES
    )


class ThaiFirstLocaleMiddleware:
    """Speak the signed-in person's saved language, else the one chosen with the switch on this
    device, else Thai; ignore the browser's language.

    Django's LocaleMiddleware would follow Accept-Language, and most browsers in Thai offices
    announce English, so the choice is read from the profile and the language cookie only. The
    language holds for the request and is given back afterwards: the thread (a test's, a worker's
    that runs tasks in-process) keeps the one it had.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supported = {code for code, _name in settings.LANGUAGES}
        user = getattr(request, "user", None)
        saved = user.language if user is not None and user.is_authenticated else ""
        chosen = saved or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        with translation.override(language):
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", translation.get_language())
        return response


class SecurityHeadersMiddleware:
    """Add a Content-Security-Policy (every script and font from this site, no framing) and a
    Permissions-Policy to every response."""

    POLICY = "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            # viewflow's Material components set inline styles; no inline script is allowed.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def policy(self) -> str:
        """Return the policy; the log-out form may go on to ThaiD to sign out there too."""
        origins = oidc_logout_origins()
        if not origins:
            return self.POLICY
        return self.POLICY.replace("form-action 'self'", f"form-action 'self' {' '.join(origins)}")

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy())
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class PersonalDataNoStoreMiddleware:
    """Ask browsers and proxies to keep no copy of a page or download with personal data.

    A shared office computer's cache, or a proxy between a school and the server, would otherwise
    hold a roster or an ID card after the user has signed out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if shows_personal_data(request):
            patch_cache_control(response, private=True, no_store=True)
        return response
