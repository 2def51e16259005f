from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import FileResponse
from django.views import View
from django.views.generic import TemplateView

from accounts.permissions import access_school

from . import selectors
from .verify import document_check

DOCUMENTS_PAGE_SIZE = 50


class SchoolDocumentsView(LoginRequiredMixin, TemplateView):
    """List a school's signed records, with their annexes and download links."""

    template_name = "documents/list.html"

    def get_context_data(self, **kwargs):
        school = access_school(self.request.user, self.kwargs["code"])
        documents = selectors.documents_for_school(school=school)
        page = Paginator(documents, DOCUMENTS_PAGE_SIZE).get_page(self.request.GET.get("page"))
        return super().get_context_data(school=school, page=page, querystring="", **kwargs)


class DocumentDownloadView(LoginRequiredMixin, View):
    """Send a signed record's PDF to a user who may see its school or area."""

    def get(self, request, public_id):
        document = selectors.access_document(user=request.user, public_id=public_id)
        return FileResponse(
            document.file.storage.open(document.file.name, "rb"),
            as_attachment=True,
            filename=f"{document.kind}-{document.public_id}.pdf",
            content_type="application/pdf",
        )


class VerifyView(TemplateView):
    """Show anyone whether a record is intact and validly signed, without its personal data."""

    template_name = "documents/verify.html"

    def get_context_data(self, **kwargs):
        document = selectors.document_public(public_id=self.kwargs["public_id"])
        return super().get_context_data(
            document=document, check=document_check(document=document), **kwargs
        )
