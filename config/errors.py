"""The error pages: a plain message in the user's language, never a technical detail."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader


def page_not_found(request, exception=None):
    """Say that the page does not exist or is not the user's to see, in the user's language."""
    # The exception's text is for the log, not for the page: it may name a model or a query.
    return render(request, "404.html", status=404)


def server_error(request):
    """Say that something went wrong, in Thai and in English, from a page that needs nothing."""
    # No context and no template tag: whatever failed (the database, a context processor, the
    # translations) cannot fail this page too.
    return HttpResponseServerError(loader.get_template("500.html").render())
