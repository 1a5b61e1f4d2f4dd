"""Who works here, in which role: the role decides the admin group (accounts.services.bind);
and the invitations that brought merchants' people in (accounts.invitations)."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.actions import ActionForm, ObjectAction
from backoffice.scoping import actor_for

from . import invitations
from .models import Invitation, Membership
from .services import bind


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "insurer", "shop")
    list_select_related = ("user", "insurer", "shop")
    list_filter = ("role", "insurer")
    search_fields = ("user__username", "shop__shop_id")
    autocomplete_fields = ("user",)
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        bind(obj.user, obj.role, insurer=obj.insurer, shop=obj.shop)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """The audit of onboarding: who invited whom to which shop, and when they accepted."""

    list_display = ("email", "shop", "invited_by", "invited_at", "accepted_at", "user")
    list_select_related = ("shop", "invited_by", "user")
    list_filter = (("accepted_at", admin.EmptyFieldListFilter),)
    search_fields = ("email", "=shop__shop_id")
    ordering = ("-invited_at", "-id")

    def has_add_permission(self, request):
        return False  # invitations are sent from the shop's page ("Invite a user")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InviteUserForm(ActionForm):
    email = forms.EmailField(label=gettext_lazy("E-mail"))
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the invitation"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE
    )


def _invite_user(shop, actor, request, data):
    invitation = invitations.invite(shop, data["email"], actor_for(request), language=data["language"])
    return _("Invitation sent to %(email)s: the link lets them set a password for %(shop)s.") % {
        "email": invitation.email,
        "shop": shop.name,
    }


INVITE_USER = ObjectAction(
    "invite_user",
    gettext_lazy("Invite a user"),
    InviteUserForm,
    _invite_user,
    "accounts.add_invitation",
    help=gettext_lazy("They get an e-mail with a one-time link to set a password; it binds them to this shop."),
)
