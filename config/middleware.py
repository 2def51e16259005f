from django.conf import settings
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin


class ThaiFirstLocaleMiddleware(MiddlewareMixin):
    """Speak Thai unless the user chose English with the switch; ignore the browser's language.

    Django's LocaleMiddleware would follow Accept-Language, and most browsers in Thai offices
    announce English, so the choice is read from the language cookie only.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def process_response(self, request, response):
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

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response
