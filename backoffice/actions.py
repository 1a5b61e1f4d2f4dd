"""Buttons on an object's page that call a service, each with the form it needs.

An action is offered when the user's group grants its permission, the user's role may take it
(the workflow table the service itself checks) and the object is in a state that allows it (its
`states`, or the state machine's answer through `open`). The
form carries the version of the object the page showed; if the object changed since, the action
is refused instead of overwriting a newer decision."""

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import version
from kernel.errors import DomainError, stale_page

from .scoping import actor_for


class ActionForm(forms.Form):
    """Base of every action form: the version of the object the page was rendered with."""

    seen = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, obj=None, **kwargs):
        self.obj = obj
        super().__init__(*args, **kwargs)

    def add_domain_error(self, error):
        """Show a service's refusal above the form (its message cites the rule) and on its fields."""
        self.add_error(None, error.text)
        for name, problems in error.fields.items():
            if name in self.fields:
                for problem in problems:
                    self.add_error(name, str(problem))


class ReasonForm(ActionForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


@dataclass(frozen=True)
class ObjectAction:
    name: str
    label: str
    form_class: type
    run: object  # run(obj, actor, request, data) -> success message
    permission: str
    rule: tuple = ()  # (workflow table, action key): the roles the service accepts
    states: tuple = ()  # the object states it applies to; empty: any
    when: object = None  # a further test on the object, e.g. "partially approved"
    open: object = None  # open(obj, actor) -> bool: whether the state machine lets the actor take it now
    help: str = ""
    tone: str = ""  # "" | "danger"
    accesskey: str = ""
    facts: object = None  # facts(obj) -> [(label, value)] shown beside the form

    def permitted(self, request, actor):
        if not request.user.has_perm(self.permission):
            return False
        if self.rule:
            table, key = self.rule
            return actor.role in table[key][1]
        return True

    def applies_to(self, obj, state, actor):
        if self.states and state not in self.states:
            return False
        if self.open is not None and not self.open(obj, actor):
            return False
        return self.when is None or self.when(obj)


class ObjectActionsMixin:
    """Adds `object_actions` to a ModelAdmin: buttons on the change page, one URL per action."""

    object_actions = ()
    state_field = "status"
    action_template = "backoffice/action_form.html"
    change_form_template = "backoffice/change_form.html"

    def state_of(self, obj):
        return getattr(obj, self.state_field)

    def version_of(self, obj):
        """The state and the last audit row: a page older than either is out of date."""
        return version(obj, self.state_of(obj))

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_act"
        view = self.admin_site.admin_view(self.action_view)
        return [path("<path:object_id>/act/<slug:action>/", view, name=name)] + super().get_urls()

    def action_url(self, obj, action):
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_act", args=[obj.pk, action.name]
        )

    def object_facts(self, request, obj):
        """(label, value) pairs shown above the object's page."""
        return []

    def after_action_url(self, obj, request=None, action=None):
        """Where the browser goes once `action` is done on `obj`: the object's page."""
        return reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])

    def offered_actions(self, request, obj):
        actor = actor_for(request)
        state = self.state_of(obj)
        return [a for a in self.object_actions if a.permitted(request, actor) and a.applies_to(obj, state, actor)]

    def blank_form(self, obj, action):
        return action.form_class(obj=obj, initial={"seen": self.version_of(obj)})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        if obj is not None:
            extra_context["object_facts"] = self.object_facts(request, obj)
            extra_context["object_actions"] = [
                {"action": a, "url": self.action_url(obj, a)} for a in self.offered_actions(request, obj)
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    def action_view(self, request, object_id, action):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("Not found."))
        chosen = next((a for a in self.object_actions if a.name == action), None)
        if chosen is None:
            raise Http404(_("Unknown action."))
        actor = actor_for(request)
        if not chosen.permitted(request, actor):
            raise PermissionDenied
        if request.method != "POST":
            if not chosen.applies_to(obj, self.state_of(obj), actor):
                messages.warning(request, _("This action is not available any more: the record has changed."))
                return HttpResponseRedirect(self.after_action_url(obj))
            return self.render_action(request, obj, chosen, self.blank_form(obj, chosen))
        form = chosen.form_class(request.POST, request.FILES, obj=obj)
        status = 200
        if form.is_valid():
            try:
                message = self.perform(request, obj, chosen, form.cleaned_data, actor)
            except DomainError as error:
                form.add_domain_error(error)
                status = error.status
            else:
                self.log_change(request, obj, str(chosen.label))
                messages.success(request, message)
                return HttpResponseRedirect(self.after_action_url(obj, request, chosen))
        else:
            status = 400
        return self.render_action(request, obj, chosen, form, status=status)

    def perform(self, request, obj, action, data, actor):
        """Run the action under a row lock, after checking the page was not out of date."""
        with transaction.atomic():
            current = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
            if self.version_of(current) != data["seen"]:
                raise stale_page()
            return action.run(current, actor, request, data)

    def render_action(self, request, obj, action, form, status=200):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "action": action,
            "form": form,
            "facts": action.facts(obj) if action.facts else [],
            "action_url": self.action_url(obj, action),
            "title": f"{action.label}: {obj}",
            "has_view_permission": True,
        }
        return TemplateResponse(request, self.action_template, context, status=status)


# A confirmation page lists (and checks) this many of the chosen objects; the rest are counted.
LISTED = 100
# Per-object lines of a bulk action's report; past them, one line says how many more.
REPORTED = 20


def confirmed_bulk_action(name, *, description, permission, perform, form_class=None, intro=None, check=None):
    """A bulk action behind a confirmation page, allowed by `has_<permission>_permission`.
    `check(obj, actor, request)`, if given, says in words why an object would be refused (None: it
    will be done), so that the confirmation page tells which will be done and which not, and why.
    `perform(modeladmin, request, queryset, data)` runs once the user confirms; it may return a
    response (an export) or None (back to the list)."""

    def action(modeladmin, request, queryset):
        confirmed = "confirm" in request.POST
        form = form_class(request.POST if confirmed else None) if form_class else None
        if confirmed and (form is None or form.is_valid()):
            return perform(modeladmin, request, queryset, form.cleaned_data if form else {})
        actor = actor_for(request)
        listed = [(obj, check(obj, actor, request) if check else None) for obj in queryset[:LISTED]]
        count = queryset.count()
        refused = sum(1 for _obj, reason in listed if reason)
        context = {
            **modeladmin.admin_site.each_context(request),
            "opts": modeladmin.opts,
            "title": description,
            "intro": intro or _("These records are selected:"),
            "objects": listed,
            "checked": check is not None,
            "ready": len(listed) - refused,
            "refused": refused,
            "unchecked": count - len(listed),
            "nothing_to_do": check is not None and refused == count,
            "count": count,
            "form": form,
            "action_name": request.POST.get("action"),
            "select_across": request.POST.get("select_across", "0"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "backoffice/bulk_confirm.html", context)

    action.__name__ = name
    action.short_description = description
    action.allowed_permissions = (permission,)
    return action


def each(run):
    """`perform` for a bulk action that calls a service once per object, each in its own
    transaction; refusals never stop the others, and each object's outcome is reported in words."""

    def perform(modeladmin, request, queryset, data):
        actor = actor_for(request)
        done, refused = [], []
        for obj in queryset:
            try:
                with transaction.atomic():
                    done.append(run(obj, actor, request, data))
            except DomainError as error:
                refused.append(_("%(object)s: not done: %(reason)s") % {"object": obj, "reason": error.text})
        messages.info(request, _("%(done)d done, %(refused)d refused.") % {"done": len(done), "refused": len(refused)})
        _report(request, messages.SUCCESS, done)
        _report(request, messages.ERROR, refused)

    return perform


def _report(request, level, lines):
    for line in lines[:REPORTED]:
        messages.add_message(request, level, line)
    if len(lines) > REPORTED:
        messages.add_message(request, level, _("… and %(n)d more.") % {"n": len(lines) - REPORTED})
