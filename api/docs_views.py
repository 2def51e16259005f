"""The schema's documentation page (Swagger UI, from the sidecar's local files)."""

from django.utils.translation import get_language
from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    """Serve drf-spectacular's Swagger page, its <html> naming the page's language.

    drf-spectacular's template writes a bare <html>, which a screen reader then reads in its own
    default language (WCAG 3.1.1); the template is not ours to edit, so the tag is completed once
    the page is rendered.
    """

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        language = get_language()

        def with_lang(rendered):
            rendered.content = rendered.content.replace(
                b"<html>", f'<html lang="{language}">'.encode(), 1
            )
            return rendered

        response.add_post_render_callback(with_lang)
        return response
