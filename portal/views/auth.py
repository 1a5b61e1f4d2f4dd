"""The portal's own sign-in: merchants only (staff sign in at the admin)."""

from django.contrib.auth import views as auth_views
from django.urls import reverse, reverse_lazy

from ..forms import MerchantLoginForm


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    authentication_form = MerchantLoginForm

    def get_default_redirect_url(self):
        return reverse("portal:home")


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("portal:login")
