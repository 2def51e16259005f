from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.views.generic import TemplateView

from accounts.permissions import (
    access_school,
    access_student,
    areas_overseen_by,
    can_administer,
    can_keep_roster,
    can_see_full_ids,
    memberships_for,
    schools_visible_to,
)

from . import selectors
from .forms import RosterFilterForm
from .models import EnrollmentStatus


class HomeView(LoginRequiredMixin, TemplateView):
    """Show what the signed-in user may act on: their schools and area offices."""

    template_name = "schools/home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        memberships = list(memberships_for(user))
        return super().get_context_data(
            memberships=memberships,
            areas=areas_overseen_by(user)
            .annotate(school_count=Count("schools"))
            .order_by("code")[:50],
            can_administer=can_administer(user),
            **kwargs,
        )


class SchoolListView(LoginRequiredMixin, TemplateView):
    """List the schools the user may see, with a search and their active learner counts."""

    template_name = "schools/school_list.html"

    def get_context_data(self, **kwargs):
        q = self.request.GET.get("q", "").strip()[:100]
        schools = (
            schools_visible_to(self.request.user)
            .select_related("area_office")
            .annotate(
                learners=Count("enrollments", filter=Q(enrollments__status=EnrollmentStatus.ACTIVE))
            )
            .order_by("area_office__code", "code")
        )
        if q:
            schools = schools.filter(Q(code__startswith=q) | Q(name_th__icontains=q))
        page = Paginator(schools, 50).get_page(self.request.GET.get("page"))
        return super().get_context_data(page=page, q=q, **kwargs)


class RosterView(LoginRequiredMixin, TemplateView):
    """Show a school's active learners: search, grade and room filters, paging, grade × sex counts."""

    template_name = "schools/roster.html"

    def get_context_data(self, **kwargs):
        school = access_school(self.request.user, self.kwargs["code"])
        form = RosterFilterForm(self.request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        roster = selectors.roster_for(
            school=school,
            q=filters.get("q", ""),
            grade=filters.get("grade", ""),
            room=filters.get("room"),
        )
        page = Paginator(roster, settings.ROSTER_PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            school=school,
            form=form,
            page=page,
            querystring=query.urlencode(),
            counts=selectors.grade_sex_counts(school=school),
            full_ids=can_see_full_ids(self.request.user, school),
            **kwargs,
        )


class StudentView(LoginRequiredMixin, TemplateView):
    """Show one learner: identity, enrollments, measurements and the audit trail."""

    template_name = "schools/student.html"

    def get_context_data(self, **kwargs):
        school = access_school(self.request.user, self.kwargs["code"])
        student = access_student(self.request.user, school, self.kwargs["public_id"])
        return super().get_context_data(
            school=school,
            student=student,
            full_ids=can_see_full_ids(self.request.user, school),
            can_edit=can_keep_roster(self.request.user, school),
            **selectors.student_detail(student=student),
            **kwargs,
        )
