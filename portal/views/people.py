"""The shop's people: colleagues invited by e-mail, the one-time sign-up link, and password
reset through Django's own views in the portal's pages (accounts.invitations decides)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from accounts import invitations
from accounts.models import Invitation, Membership
from kernel.errors import DomainError
from merchants.models import Shop

from ..access import merchant_required, scoped
from ..forms import InviteColleagueForm, JoinForm
from ..shortcuts import form_error, page


@merchant_required
def colleagues(request):
    """The shop's logins and open invitations; a user invites a colleague by e-mail."""
    shop_id = request.actor.shop_id
    form = InviteColleagueForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitations.invite(
                scoped(request, Shop).get(),
                form.cleaned_data["email"],
                request.actor,
                language=form.cleaned_data["language"],
            )
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("Invitation sent to %s.") % invitation.email)
            return redirect("portal:colleagues")
    context = {
        "form": form,
        "members": Membership.objects.filter(shop_id=shop_id).select_related("user").order_by("user__username"),
        "invitations": Invitation.objects.filter(shop_id=shop_id).select_related("invited_by")[:50],
    }
    return page(request, "portal/colleagues.html", context)


@sensitive_post_parameters("password1", "password2")
def join(request, uid, token):
    """The sign-up link: set a password; the new login is bound to the inviting shop."""
    try:
        invitation = invitations.open_invitation(uid, token)
    except DomainError as exc:
        return render(request, "portal/join.html", {"refused": exc.message}, status=exc.status)
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.accept(uid, token, form.cleaned_data["password1"], form.cleaned_data["password2"])
        except DomainError as exc:
            form_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome: you are signed in to %s.") % invitation.shop.name)
            return redirect("portal:home")
    return render(request, "portal/join.html", {"form": form, "invitation": invitation})


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "portal/password_reset.html"
    email_template_name = "portal/password_reset_email.txt"
    subject_template_name = "portal/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "portal/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "portal/password_reset_complete.html"
