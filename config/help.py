"""The help menu: the user guides of docs/ (Markdown, in Thai), listed by role and shown in the shell.

The guides' pictures are the screenshots that the browser tests write to docs/images/.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import markdown
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.models import Membership, Role


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str  # lazy: shown in the reader's language
    roles: tuple[str, ...]

    @property
    def file(self) -> Path:
        return docs_dir() / f"guide-{self.slug}.md"


GUIDES = (
    Guide("school-staff", _("Guide for school data officers"), (Role.STAFF,)),
    Guide("director", _("Guide for school directors"), (Role.DIRECTOR,)),
    Guide("area-officer", _("Guide for area office officers"), (Role.AREA_OFFICER,)),
    Guide("id-approver", _("Guide for citizen-ID approvers"), (Role.ID_APPROVER,)),
    Guide("ministry", _("Guide for the ministry's administrators"), (Role.MINISTRY_ADMIN,)),
)
IMAGE_SRC = re.compile(r'(<img[^>]* src=")images/([a-z0-9-]+\.png)"')
GUIDE_HREF = re.compile(r'href="guide-([a-z0-9-]+)\.md"')


def docs_dir() -> Path:
    return Path(getattr(settings, "HELP_DOCS_DIR", settings.BASE_DIR / "docs"))


def guides_for(user) -> tuple[list[Guide], list[Guide]]:
    """Return the guides of the user's roles, and the others."""
    roles = set(Membership.objects.active().filter(user=user).values_list("role", flat=True))
    mine = [g for g in GUIDES if roles.intersection(g.roles)]
    return mine, [g for g in GUIDES if g not in mine]


def guide_html(guide: Guide) -> str:
    """Return a guide rendered to HTML, its pictures pointed at the help image view."""
    try:
        stamp = guide.file.stat().st_mtime_ns
    except FileNotFoundError:
        raise Http404(guide.slug) from None
    return _render(guide.file, stamp)


@lru_cache(maxsize=16)
def _render(file: Path, stamp: int) -> str:  # the stamp keys the cache on the file's version

    html = markdown.markdown(
        file.read_text(encoding="utf-8"), extensions=["tables", "toc", "sane_lists"]
    )
    # The files link each other and their pictures as on disk (so they read on a forge too).
    image_url = reverse("help:image", args=["NAME"]).removesuffix("NAME.png")
    html = IMAGE_SRC.sub(lambda m: f'{m.group(1)}{image_url}{m.group(2)}" loading="lazy"', html)
    return GUIDE_HREF.sub(lambda m: f'href="{reverse("help:guide", args=[m.group(1)])}"', html)


class HelpIndexView(LoginRequiredMixin, TemplateView):
    """List the guides, the user's own roles first."""

    template_name = "help/index.html"

    def get_context_data(self, **kwargs):
        mine, others = guides_for(self.request.user)
        return super().get_context_data(mine=mine, others=others, **kwargs)


class GuideView(LoginRequiredMixin, TemplateView):
    """Show one guide. Guides are public knowledge: any signed-in user may read any of them."""

    template_name = "help/guide.html"

    def get_context_data(self, **kwargs):
        guide = next((g for g in GUIDES if g.slug == self.kwargs["slug"]), None)
        if guide is None:
            raise Http404(self.kwargs["slug"])
        mine, others = guides_for(self.request.user)
        body = mark_safe(guide_html(guide))  # noqa: S308 - the project's own files, not user input
        return super().get_context_data(guide=guide, body=body, mine=mine, others=others, **kwargs)


class GuideImageView(LoginRequiredMixin, View):
    """Send a guide's picture from docs/images/."""

    def get(self, request, name):
        file = docs_dir() / "images" / f"{name}.png"
        if not file.is_file():
            raise Http404(name)
        response = FileResponse(file.open("rb"), content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response


app_name = "help"
urlpatterns = [
    path("", HelpIndexView.as_view(), name="index"),
    path("images/<slug:name>.png", GuideImageView.as_view(), name="image"),
    path("<slug:slug>/", GuideView.as_view(), name="guide"),
]
