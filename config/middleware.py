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
