"""The people pages: who holds which role at the schools and area offices the user manages;
invite, end a role, withdraw or resend an invitation, bulk invitations with a dry run."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from schools.uploads import UploadError
from schools.views import ServiceFormView, form_error

from . import invitations, selectors, services
from .people_csv import parse_invitations
from .people_forms import BulkInviteForm, EndRoleForm, InviteForm
from .permissions import (
    access_person,
    areas_staffed_by,
    can_administer,
    can_manage_people,
    can_reset_second_factor,
    invitations_managed_by,
    memberships_managed_by,
    role_changes_visible_to,
    roles_grantable_by,
    schools_staffed_by,
)
from .second_factor import has_second_factor


class PeopleMixin(LoginRequiredMixin):
    """Let in only those who give roles somewhere: the ministry and area officers."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not can_manage_people(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class PeopleIndexView(PeopleMixin, TemplateView):
    """List the area offices whose people the user manages (the ministry: with their officers)."""

    template_name = "accounts/people_index.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        ministry = can_administer(user)
        areas = areas_staffed_by(user)
        return super().get_context_data(
            ministry=ministry,
            areas=selectors.area_people(area_offices=areas) if ministry else list(areas),
            national_approvers=selectors.national_id_approvers() if ministry else [],
            waiting=list(
                invitations_managed_by(user)
                .pending()
                .filter(school__isnull=True)
                .select_related("area_office")
            )
            if ministry
            else [],
            **kwargs,
        )


class AreaPeopleView(PeopleMixin, TemplateView):
    """An area office's schools with their staff and directors, flagged when one is missing."""

    template_name = "accounts/area_people.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        area = areas_staffed_by(user).filter(code=self.kwargs["code"]).first()
        if area is None:
            raise Http404
        schools = selectors.school_people(schools=schools_staffed_by(user).filter(area_office=area))
        return super().get_context_data(
            area=area,
            schools=schools,
            missing=sum(1 for s in schools if s.no_director or s.no_staff),
            **kwargs,
        )


class PersonView(PeopleMixin, TemplateView):
    """A person's roles within the user's reach and the history of changes to them."""

    template_name = "accounts/person.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        person = access_person(user, self.kwargs["public_id"])
        return super().get_context_data(
            person=person,
            second_factor=has_second_factor(user=person),
            may_reset_second_factor=can_reset_second_factor(user, person),
            today=timezone.localdate(),
            **selectors.person_detail(
                person=person,
                memberships=memberships_managed_by(user),
                changes=role_changes_visible_to(user),
                invitations=invitations_managed_by(user),
            ),
            **kwargs,
        )


class InviteView(PeopleMixin, ServiceFormView):
    form_class = InviteForm
    template_name = "accounts/people_form.html"

    @property
    def title(self):
        return _("Invite a person")

    def get_form_kwargs(self):
        user = self.request.user
        return {
            **super().get_form_kwargs(),
            "roles": roles_grantable_by(user),
            "areas": areas_staffed_by(user),
        }

    def get_initial(self):
        return {
            "role": self.request.GET.get("role", "")[:20],
            "school_code": self.request.GET.get("school", "")[:10],
            "area_office": self.request.GET.get("area", "")[:10],
        }

    def perform(self, form):
        return invitations.invitation_create(actor=self.request.user, **form.service_kwargs())

    def get_success_message(self, result) -> str:
        return _("Invitation e-mailed to %(email)s.") % {"email": result.email}

    def get_success_url(self, result=None):
        if result.school is not None:
            return reverse("people:area", args=[result.school.area_office.code])
        return reverse("people:index")


class EndRoleView(PeopleMixin, ServiceFormView):
    form_class = EndRoleForm
    template_name = "accounts/people_form.html"

    @property
    def title(self):
        return _("End a role")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and can_manage_people(request.user):
            self.person = access_person(request.user, kwargs["public_id"])
            self.membership = (
                memberships_managed_by(request.user)
                .select_related("school", "area_office")
                .filter(user=self.person, pk=kwargs["pk"])
                .first()
            )
            if self.membership is None:
                raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"on": timezone.localdate()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(person=self.person, membership=self.membership, **kwargs)

    def perform(self, form):
        return services.membership_end(
            membership=self.membership, on=form.cleaned_data["on"], actor=self.request.user
        )

    def get_success_message(self, result) -> str:
        return _("The role ends on the date chosen.")

    def get_success_url(self, result=None):
        return reverse("people:person", args=[self.person.public_id])


class InvitationActionView(PeopleMixin, View):
    """Withdraw or resend an invitation (POST)."""

    action = ""

    def post(self, request, public_id):
        invitation = (
            invitations_managed_by(request.user)
            .select_related("school__area_office")
            .filter(public_id=public_id)
            .first()
        )
        if invitation is None:
            raise Http404
        service = {
            "revoke": invitations.invitation_revoke,
            "resend": invitations.invitation_resend,
        }[self.action]
        try:
            service(invitation=invitation, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Invitation withdrawn.")
                if self.action == "revoke"
                else _("Invitation e-mailed again with a new link."),
            )
        if invitation.school is not None:
            return redirect(reverse("people:area", args=[invitation.school.area_office.code]))
        return redirect(reverse("people:index"))


class BulkInviteView(PeopleMixin, TemplateView):
    """Invite many people from a file: check it first (dry run), then send."""

    template_name = "accounts/people_bulk.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", BulkInviteForm())
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        form = BulkInviteForm(request.POST, request.FILES)
        apply = "apply" in request.POST
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        upload = form.cleaned_data["file"]
        try:
            rows, unreadable = parse_invitations(upload.read(), upload.name or "")
        except UploadError as exc:
            form_error(form, ValidationError(str(exc)))
            return self.render_to_response(self.get_context_data(form=form))
        outcomes = invitations.invitations_bulk(
            actor=request.user, rows=rows, apply=apply and not unreadable
        )
        problems = sorted(
            [{"line": e["line"], "messages": e["messages"]} for e in unreadable]
            + [{"line": o["row"].line, "messages": o["errors"]} for o in outcomes if o["errors"]],
            key=lambda p: p["line"],
        )
        sent = apply and not problems
        if sent:
            messages.success(request, _("%(n)d invitations e-mailed.") % {"n": len(outcomes)})
            return redirect(reverse("people:bulk"))
        return self.render_to_response(
            self.get_context_data(
                form=form, outcomes=outcomes, problems=problems, checked=True, applied=apply
            )
        )
