import io

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from openpyxl import Workbook

from accounts.permissions import areas_overseen_by, can_administer
from schools.exports import safe_cell
from schools.validation import MEASUREMENT_RULES, Rule

from . import dashboard, selectors, services
from .models import SchoolRound

SORTS = {"code": lambda s: s.code, "name": lambda s: s.name_th, "learners": lambda s: -s.learners,
         "state": lambda s: dashboard.STATE_ORDER.index(s.round_state)}  # fmt: skip


def _round(request):
    rounds = dashboard.rounds_for_dashboard()
    chosen = request.GET.get("round") or request.POST.get("round")
    round = (
        rounds.filter(pk=chosen).first()
        if chosen and chosen.isdigit()
        else dashboard.current_round()
    )
    return round, rounds[:12]


def _area(user, code):
    area = areas_overseen_by(user).filter(code=code).first()
    if area is None:
        raise Http404
    return area


class AreaDashboardView(LoginRequiredMixin, TemplateView):
    """An area office's schools in a round: state, learners, time left; totals; filter and sort."""

    template_name = "census/area_dashboard.html"
    # Read only: served from the streaming replica when there is one (config/db_router.py).
    replica_reads = True

    def get_template_names(self):
        return ["census/_area_dashboard_body.html"] if self.request.htmx else [self.template_name]

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "xlsx":
            return self.xlsx()
        return super().get(request, *args, **kwargs)

    def rows(self):
        self.area = _area(self.request.user, self.kwargs["code"])
        self.round, self.rounds = _round(self.request)
        if self.round is None:
            return []
        schools = list(dashboard.area_schools(area_office=self.area, round=self.round))
        checks = dashboard.measurement_problems(area_office=self.area)
        self.checks_as_of = checks.as_of
        for s in schools:
            s.measurement_problems = checks.by_school.get(s.pk, [])
        self.totals = dashboard.state_totals(schools)
        state = self.request.GET.get("state", "")
        if state in dashboard.STATE_ORDER:
            schools = [s for s in schools if s.round_state == state]
        schools.sort(key=SORTS.get(self.request.GET.get("sort", ""), SORTS["code"]))
        return schools

    def get_context_data(self, **kwargs):
        schools = self.rows()
        now = timezone.now()
        # The area office's own part of a staggered count day, or the round's windows.
        windows = (
            selectors.windows_for(round=self.round, area_office_id=self.area.pk)
            if self.round
            else None
        )
        labels = dict(SchoolRound.State.choices)
        for s in schools:
            s.state_label = labels[s.round_state]
        return super().get_context_data(
            area=self.area,
            round=self.round,
            rounds=self.rounds,
            schools=schools,
            totals=getattr(self, "totals", None),
            checks_as_of=getattr(self, "checks_as_of", None),
            states=SchoolRound.State.choices,
            time_left=dashboard.time_left(windows, now) if windows else None,
            live=windows is not None and windows.confirm_opens <= now < windows.certify_closes,
            query=self.request.GET.urlencode(),
            **kwargs,
        )

    def xlsx(self):
        schools = self.rows()
        labels = dict(SchoolRound.State.choices)
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "สถานะโรงเรียน"
        rules = [str(Rule(rule).label) for rule in MEASUREMENT_RULES]
        sheet.append(["รหัสโรงเรียน", "โรงเรียน", "สถานะ", "นักเรียนปัจจุบัน", "นักเรียนที่รับรอง", *rules])
        for s in schools:
            sheet.append(
                [
                    safe_cell(v)
                    for v in (
                        s.code,
                        s.name_th,
                        str(labels[s.round_state]),
                        s.learners,
                        s.certified_learners,
                    )
                ]
                + [
                    dict((r, n) for r, _label, n in s.measurement_problems).get(rule, 0)
                    for rule in MEASUREMENT_RULES
                ]  # fmt: skip
            )

        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="dashboard-{self.area.code}-{self.round.pk}.xlsx"'
        )
        return response


class AreaRemindView(LoginRequiredMixin, View):
    """E-mail every school of the area not yet certified for the round (POST)."""

    def post(self, request, code):
        area = _area(request.user, code)
        round, _rounds = _round(request)
        if round is None:
            raise Http404
        sent = services.round_remind(round=round, area_office=area, actor=request.user)
        messages.success(request, _("Reminder e-mailed to %(n)d schools.") % {"n": sent})
        return redirect(reverse("census:area_dashboard", args=[code]) + f"?round={round.pk}")


class NationalDashboardView(LoginRequiredMixin, TemplateView):
    """The ministry's view: each area office's schools per state, with drill-down."""

    template_name = "census/national_dashboard.html"
    # Read only: served from the streaming replica when there is one (config/db_router.py).
    replica_reads = True

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_administer(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        round, rounds = _round(self.request)
        rows = dashboard.national_rows(round=round) if round else []
        return super().get_context_data(
            round=round, rounds=rounds, rows=rows, states=SchoolRound.State.choices, **kwargs
        )
