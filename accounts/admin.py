"""Who works here, in which role: the role decides the admin group (accounts.services.bind)."""

from django.contrib import admin

from .models import Membership
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
