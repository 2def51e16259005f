"""Report pages (area offices: their area; the ministry: everything), a school's allocation with
its trace and signed statement, and the subsidy rates (ministry only)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.permissions import access_school, areas_overseen_by, can_administer
from documents import roles
from documents.models import SignedDocument
from schools.calendar import academic_year_of
from schools.models import Grade
from schools.views import form_error

from . import reports
from .allocation import FIGURES_CACHE_SECONDS, school_allocation
from .charts import WIDE_PALETTE, bar_chart
from .exports import table_response
from .forms import SubsidyRateForm
from .models import Round, SubsidyItem, SubsidyRate, SubsidyRateChange
from .rates import RATE_FIELDS, subsidy_rate_create, subsidy_rate_update
from .statements import allocation_statement_issue, area_statement_issue
from .views import MinistryOnlyMixin


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _signer_role(user) -> str:
    return roles.ROLE_MINISTRY if can_administer(user) else roles.ROLE_AREA_OFFICER


class ReportView(LoginRequiredMixin, TemplateView):
    """A report over the user's scope; ``?export=<table>&format=csv|xlsx`` downloads one table."""

    report_name = ""
    # Read only: served from the streaming replica when there is one (config/db_router.py).
    replica_reads = True

    def get(self, request, *args, **kwargs):
        self.scope = reports.report_scope(user=request.user, area_code=request.GET.get("area"))
        self.rounds = reports.report_rounds()
        report = self.report()
        export = request.GET.get("export")
        if export:
            table = report.get(export)
            if table is None or not hasattr(table, "header"):
                raise Http404
            fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
            where = self.scope.area.code if self.scope.area else "all"
            return table_response(table, fmt=fmt, filename=f"{self.report_name}-{export}-{where}")
        return self.render_to_response(self.get_context_data(report=report, **kwargs))

    def round_param(self, name: str, default: Round | None) -> Round | None:
        pk = _int(self.request.GET.get(name))
        if pk is None:
            return default
        chosen = next((r for r in self.rounds if r.pk == pk), None)
        if chosen is None:
            raise Http404
        return chosen

    def export_query(self, table: str, fmt: str) -> str:
        query = self.request.GET.copy()
        query["export"], query["format"] = table, fmt
        return "?" + query.urlencode()

    def get_context_data(self, **kwargs):
        report = kwargs["report"]
        tables = [
            {"table": t, "csv": self.export_query(k, "csv"), "xlsx": self.export_query(k, "xlsx")}
            for k, t in report.items()
            if hasattr(t, "header")
        ]
        return super().get_context_data(
            scope=self.scope, rounds=self.rounds, tables=tables, report_name=self.report_name,
            **kwargs,
        )  # fmt: skip


class CountsReportView(ReportView):
    """Certified learners by grade × sex × school or area office, and the round-over-round trend."""

    template_name = "census/reports/counts.html"
    report_name = "counts"

    def report(self):
        today = timezone.localdate()
        self.round = self.round_param("round", reports.default_round(self.rounds, today=today))
        if self.round is None:
            return {}
        report = reports.counts_report(scope=self.scope, round=self.round)
        report["trend"] = reports.trend_report(scope=self.scope, rounds=self.rounds)
        return report

    def get_context_data(self, **kwargs):
        report = kwargs["report"]
        charts = {}
        if report:
            grades = report["grades"].rows
            charts["grades"] = bar_chart(
                categories=[str(r[0]) for r in grades],
                series=[(_("Male"), [r[1] for r in grades]), (_("Female"), [r[2] for r in grades])],
                title=_("Learners by grade"),
            )
            trend = report["trend"].rows
            charts["trend"] = bar_chart(
                categories=[r[0] for r in trend],
                series=[(_("Learners"), [r[2] for r in trend])],
                title=_("Certified learners per round"),
            )
        return super().get_context_data(round=getattr(self, "round", None), charts=charts, **kwargs)


class ChangesReportView(ReportView):
    """Learners in, out and dropped out per grade between two rounds."""

    template_name = "census/reports/changes.html"
    report_name = "changes"

    def report(self):
        ordinary = [r for r in self.rounds if not r.is_demo]
        after = self.round_param(
            "after", reports.default_round(self.rounds, today=timezone.localdate())
        )
        later = [r for r in ordinary if after and r.as_of < after.as_of]
        self.before = self.round_param("before", later[0] if later else None)
        self.after = after
        if self.before is None or self.after is None:
            return {}
        if self.before.as_of >= self.after.as_of:
            self.before, self.after = self.after, self.before
        return reports.changes_report(scope=self.scope, before=self.before, after=self.after)

    def get_context_data(self, **kwargs):
        report = kwargs["report"]
        chart = None
        if report:
            rows = report["grades"].rows
            chart = bar_chart(
                categories=[str(r[0]) for r in rows],
                series=[(_("In"), [r[3] for r in rows]), (_("Out"), [r[4] for r in rows]),
                        (_("Dropped out"), [r[5] for r in rows])],
                title=_("Changes by grade"),
            )  # fmt: skip
        return super().get_context_data(
            before=getattr(self, "before", None), after=getattr(self, "after", None),
            chart=chart, **kwargs,
        )  # fmt: skip


class NutritionReportView(ReportView):
    """Certified learners per nutrition band (percent of those with a status) by sex, grade and
    school or area office, round over round; the status frozen with each snapshot."""

    template_name = "census/reports/nutrition.html"
    report_name = "nutrition"

    def report(self):
        self.indicator = self.request.GET.get("indicator") or "wfh"
        if self.indicator not in reports.NUTRITION_BANDS:
            raise Http404
        self.round = self.round_param(
            "round", reports.default_round(self.rounds, today=timezone.localdate())
        )
        if self.round is None:
            return {}
        return reports.nutrition_figures(
            scope=self.scope, round=self.round, indicator=self.indicator, rounds=self.rounds
        )

    def get_context_data(self, **kwargs):
        report = kwargs["report"]
        charts = {}
        if report:
            _key, title, bands = report["indicator"]
            sexes = report["sexes"].rows
            charts["sexes"] = bar_chart(
                categories=bands,
                series=[
                    (row[0], [float(p or 0) for p in row[3 : 3 + len(bands)]]) for row in sexes
                ],
                title=_("%(indicator)s: percent per band") % {"indicator": title},
            )
            trend = report["trend"].rows
            charts["trend"] = bar_chart(
                categories=[row[0] for row in trend],
                series=[
                    (band, [float(row[4 + i] or 0) for row in trend])
                    for i, band in enumerate(bands)
                ],
                title=_("%(indicator)s: percent per band per round") % {"indicator": title},
                palette=WIDE_PALETTE,
            )
        return super().get_context_data(
            round=getattr(self, "round", None), indicator=getattr(self, "indicator", "wfh"),
            indicators=[(k, t) for k, (t, _o) in reports.NUTRITION_BANDS.items()], charts=charts,
            **kwargs,
        )  # fmt: skip


def default_term(rounds: list[Round], today) -> tuple[int, int]:
    """Return the term the latest count funds: a November count funds term 1 of the next year."""
    latest = reports.default_round(rounds, today=today)
    if latest is None:
        return academic_year_of(today), 1
    year = latest.academic_year.year
    return (year + 1, 1) if latest.number >= 2 else (year, 1)


class AllocationReportView(ReportView):
    """A term's per-head subsidy per school, area office and nation, with its status."""

    template_name = "census/reports/allocation.html"
    report_name = "allocation"

    def report(self):
        year, term = default_term(self.rounds, timezone.localdate())
        self.year = _int(self.request.GET.get("year"), year)
        self.term = 2 if self.request.GET.get("term") == "2" else (
            1 if self.request.GET.get("term") == "1" else term)  # fmt: skip
        if not 2500 <= self.year <= 2700:
            raise Http404
        # One area office: its schools' rows on the page. More: the kept figures, and each
        # school's row only in the download.
        per_school = self.scope.area is not None or self.request.GET.get("export") == "schools"
        return reports.allocation_report(
            scope=self.scope, academic_year=self.year, term=self.term, per_school=per_school,
            rounds=self.rounds,
        )  # fmt: skip

    def export_query(self, table: str, fmt: str) -> str:
        # The same link for everyone who sees these figures (the tables are kept with them):
        # the area office named whenever the page is of one, so a link kept from an officer's
        # page still downloads that office's table for the ministry.
        query = {"year": self.year, "term": self.term, "export": table, "format": fmt}
        if self.scope.area is not None:
            query = {"area": self.scope.area.code, **query}
        return "?" + urlencode(query)

    def get_context_data(self, **kwargs):
        summary = kwargs["report"]["summary"]

        def chart():
            # Drawn when the template asks: not when the figures' tables are kept.
            return bar_chart(
                categories=[str(dict(SubsidyItem.choices)[k]) for k in summary.items],
                series=[(_("Baht"), [float(v) for v in summary.items.values()])],
                title=_("Allocation per item"),
            )

        missing = sorted(
            (str(SubsidyItem(i).label), str(Grade(g).label)) for i, g in summary.missing_rates
        )
        return super().get_context_data(
            year=self.year, term=self.term, chart=chart, summary=summary, missing_rates=missing,
            figures_seconds=FIGURES_CACHE_SECONDS,
            can_sign=self.scope.area is not None,
            schools_export={"csv": self.export_query("schools", "csv"),
                            "xlsx": self.export_query("schools", "xlsx")},
            **kwargs,
        )  # fmt: skip


class MissingReportView(ReportView):
    """Schools without a certified count in a round: missed, revoked or never started."""

    template_name = "census/reports/missing.html"
    report_name = "missing"

    def report(self):
        self.round = self.round_param(
            "round", reports.default_round(self.rounds, today=timezone.localdate())
        )
        if self.round is None:
            return {}
        return {"missing": reports.missing_report(scope=self.scope, round=self.round)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(round=getattr(self, "round", None), **kwargs)


class AreaStatementView(LoginRequiredMixin, View):
    """Sign the allocation statement of one area office for a term (its officers, the ministry)."""

    def post(self, request):
        scope = reports.report_scope(user=request.user, area_code=request.POST.get("area"))
        if scope.area is None:
            raise Http404
        year, term = _int(request.POST.get("year")), _int(request.POST.get("term"))
        if year is None or term not in (1, 2):
            raise Http404
        try:
            document = area_statement_issue(
                area=scope.area, academic_year=year, term=term, actor=request.user,
                actor_role=_signer_role(request.user),
            )  # fmt: skip
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Allocation statement signed."))
            return redirect(reverse("documents:verify", args=[document.public_id]))
        query = urlencode({"area": scope.area.code, "year": year, "term": term})
        return redirect(reverse("census:report_allocation") + "?" + query)


class SchoolAllocationView(LoginRequiredMixin, TemplateView):
    """One school's allocation for a term: count × rate = amount per grade and item, the snapshots
    and rates it came from, and its signed statement (the school's own staff may read it)."""

    template_name = "census/reports/school_allocation.html"

    def setup_allocation(self, request, code, year, term):
        self.school = access_school(request.user, code)
        if term not in (1, 2) or not 2500 <= year <= 2700:
            raise Http404
        self.allocation = school_allocation(school=self.school, academic_year=year, term=term)
        self.can_sign = (
            areas_overseen_by(request.user).filter(pk=self.school.area_office_id).exists()
        )

    def get(self, request, code, year, term):
        self.setup_allocation(request, code, year, term)
        return self.render_to_response(self.get_context_data())

    def post(self, request, code, year, term):
        self.setup_allocation(request, code, year, term)
        if not self.can_sign:
            raise PermissionDenied
        try:
            document = allocation_statement_issue(
                allocation=self.allocation, actor=request.user,
                actor_role=_signer_role(request.user),
            )  # fmt: skip
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(request.path)
        messages.success(request, _("Allocation statement signed."))
        return redirect(reverse("documents:verify", args=[document.public_id]))

    def get_context_data(self, **kwargs):
        allocation = self.allocation
        public_ids = [p.snapshot_public_id for p in allocation.payments if p.funded]
        records = {
            d.step_key.split(":")[1]: d
            for d in SignedDocument.objects.filter(
                step_key__in=[f"snapshot:{pid}:certification" for pid in public_ids]
            )
        }
        statement = SignedDocument.objects.filter(step_key=allocation.step_key).first()
        grades = sorted({line.grade for p in allocation.payments for line in p.lines})
        return super().get_context_data(
            school=self.school, allocation=allocation, records=records, statement=statement,
            can_sign=self.can_sign, grade_count=len(grades),
            rates=sorted({line.rate for p in allocation.payments for line in p.lines if line.rate},
                         key=lambda r: (r.item, r.level, r.grade)),
            missing_rates=sorted((str(SubsidyItem(i).label), str(Grade(g).label))
                                 for i, g in allocation.missing_rates),
            **kwargs,
        )  # fmt: skip


# --- rates (ministry only) ------------------------------------------------------------------------


class RateListView(MinistryOnlyMixin, TemplateView):
    """List the rates of a fiscal year (or all), with their status and source."""

    template_name = "census/reports/rates.html"

    def get_context_data(self, **kwargs):
        years = list(
            SubsidyRate.objects.order_by("-fiscal_year")
            .values_list("fiscal_year", flat=True)
            .distinct()
        )
        year = _int(self.request.GET.get("fiscal_year"))
        rates = SubsidyRate.objects.all()
        if year:
            rates = rates.filter(fiscal_year=year)
        return super().get_context_data(years=years, year=year, rates=rates, **kwargs)


class RateFormView(MinistryOnlyMixin, FormView):
    """Add a rate, or change one; each save writes a history row (who, when, old → new)."""

    form_class = SubsidyRateForm
    template_name = "census/reports/rate_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.rate = (
            get_object_or_404(
                SubsidyRate.objects.prefetch_related(
                    Prefetch("changes", SubsidyRateChange.objects.select_related("changed_by"))
                ),
                pk=kwargs["pk"],
            )
            if "pk" in kwargs
            else None
        )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.rate}

    def get_context_data(self, **kwargs):
        return super().get_context_data(rate=self.rate, **kwargs)

    def form_valid(self, form):
        fields = {name: form.cleaned_data[name] for name in RATE_FIELDS}
        try:
            if self.rate is None:
                subsidy_rate_create(actor=self.request.user, **fields)
            else:
                subsidy_rate_update(rate=self.rate, actor=self.request.user, **fields)
        except ValidationError as exc:
            form_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Rate saved."))
        return redirect(reverse("census:rates") + f"?fiscal_year={fields['fiscal_year']}")
