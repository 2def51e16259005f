from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.permissions import can_administer, can_keep_roster
from buildings.models import SurveyYear
from schools.models import Grade
from schools.views import SchoolMixin

from . import feeds, rollover, services
from .deadlines import deadlines_for, next_deadlines
from .feeds import live_calendar_feed
from .forms import AcademicYearForm
from .ics import ics_calendar
from .models import AcademicYear, RolloverChoice


class MinistryOnlyMixin(LoginRequiredMixin):
    """Let only the ministry admin in; everyone else gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_administer(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class CalendarView(LoginRequiredMixin, TemplateView):
    """Show every academic year's rounds with their windows, the B-OBEC survey, the user's own
    next deadlines and their private calendar link (everyone signed in may read it)."""

    template_name = "census/years.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        years = list(AcademicYear.objects.prefetch_related("rounds").order_by("-year")[:6])
        surveys = {s.year: s for s in SurveyYear.objects.filter(year__in=[y.year for y in years])}
        for year in years:
            year.survey = surveys.get(year.year)
            for r in year.rounds.all():
                r.confirm_text = services.confirm_window(r).describe()
                r.certify_text = services.certify_window(r).describe()
        administer = can_administer(user)
        if administer:
            rollover.annotate_years(years)
        return super().get_context_data(
            years=years,
            can_edit=administer,
            form=AcademicYearForm(),
            deadlines=next_deadlines(user=user, limit=5),
            now=timezone.now(),
            feed=live_calendar_feed(user=user),
            **kwargs,
        )


class CalendarFeedManageView(LoginRequiredMixin, View):
    """Make a new private calendar link (shown once) or revoke the live one."""

    def post(self, request):
        if request.POST.get("action") == "revoke":
            feeds.calendar_feed_revoke(user=request.user)
            messages.success(request, _("Your calendar link no longer works."))
            return redirect(reverse("census:index"))
        token = feeds.calendar_feed_create(user=request.user)
        url = request.build_absolute_uri(reverse("census:feed", args=[token]))
        response = render(request, "census/feed_created.html", {"feed_url": url})
        response["Cache-Control"] = "no-store"
        return response


class CalendarFeedView(View):
    """Serve a user's deadlines as iCalendar to whoever holds their private link (a phone)."""

    def get(self, request, token):
        feed = feeds.access_calendar_feed(token)
        if feed is None:
            raise Http404
        body = ics_calendar(
            name="OpenDMC",
            deadlines=deadlines_for(user=feed.user),
            base_url=request.build_absolute_uri("/").rstrip("/"),
            now=timezone.now(),
            host=request.get_host().split(":")[0] or "opendmc",
        )
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="opendmc.ics"'
        response["Cache-Control"] = "private, max-age=900"
        return response


class AcademicYearCreateView(MinistryOnlyMixin, FormView):
    form_class = AcademicYearForm
    template_name = "census/years.html"

    def form_valid(self, form):
        try:
            year = services.academic_year_create(
                year_be=form.cleaned_data["year"], actor=self.request.user
            )
        except ValidationError as exc:
            messages.error(self.request, " ".join(exc.messages))
        else:
            messages.success(
                self.request, _("Academic year %(y)s created with three rounds.") % {"y": year.year}
            )
        return redirect(reverse("census:index"))

    def form_invalid(self, form):
        messages.error(self.request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(reverse("census:index"))


class RolloverReviewView(SchoolMixin, TemplateView):
    """A school's list for the year rollover: what becomes of each grade, and the learners who
    finish (or any grade on request); the school's data officer changes a learner's choice."""

    template_name = "census/rollover_review.html"
    edit = False

    def get_context_data(self, **kwargs):
        year = rollover.review_year()
        grade = self.request.GET.get("grade") or None
        if grade not in Grade.values:
            grade = None
        review = (
            rollover.school_rollover_review(academic_year=year, school=self.school, grade=grade)
            if year
            else None
        )
        return super().get_context_data(
            year=year,
            review=review,
            grade=grade,
            grades=Grade.choices,
            choices=RolloverChoice.choices,
            can_edit=can_keep_roster(self.request.user, self.school),
            **kwargs,
        )

    def post(self, request, code):
        if not can_keep_roster(request.user, self.school):
            raise PermissionDenied
        year = rollover.review_year()
        if year is None:
            raise Http404
        choices = {}
        for key, value in request.POST.items():
            if key.startswith("choice_") and key[7:].isdigit():
                choices[int(key[7:])] = value
        keep = request.POST.get("keep_grade")
        if keep in Grade.values:  # "all of this grade continue here" (อ.3 → ป.1 at most schools)
            choices = rollover.grade_choices(school=self.school, grade=keep)
        try:
            changed = rollover.rollover_decide(
                academic_year=year, school=self.school, actor=request.user, choices=choices
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(n)s choices saved.") % {"n": changed})
        url = reverse("census:rollover_review", args=[self.school.code])
        grade = request.POST.get("grade")
        return redirect(f"{url}?grade={grade}" if grade in Grade.values else url)


class RolloverStartView(MinistryOnlyMixin, View):
    """Apply the year rollover to every school not yet moved (one Celery task per school)."""

    def post(self, request, pk):
        year = get_object_or_404(AcademicYear, pk=pk)
        try:
            queued = rollover.year_rollover_start(academic_year=year, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("The rollover into %(year)s is under way for %(n)s schools.")
                % {"year": year.year, "n": queued},
            )
        return redirect(reverse("census:index"))
