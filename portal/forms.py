"""Portal forms parse what the merchant typed; the services decide (style guide, practice 5)."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from claims import evidence as files
from claims.choices import ReceiptRejection
from kernel.errors import DomainError
from kernel.filters import DateInput
from merchants.models import Shop
from merchants.services import SHOP_DETAIL_FIELDS

from .access import merchant_actor


class MerchantLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "not_merchant": _("This is not a merchant account. Staff sign in at the admin, not in the merchant portal."),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if merchant_actor(user) is None:
            raise ValidationError(self.error_messages["not_merchant"], code="not_merchant")


# -- actions -----------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Several photos or videos at once; each is checked from its bytes exactly as the API does
    (claims.evidence.check_file), so a refused file is named with the reason."""

    widget = MultipleFileInput(attrs={"accept": ",".join(files.ACCEPTED)})

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        problems = []
        for upload in uploads:
            super().clean(upload, initial)
            try:
                files.check_file(upload, upload.content_type)
            except DomainError as exc:
                problems.append(
                    ValidationError(
                        _("%(name)s was not accepted: %(reason)s"), params={"name": upload.name, "reason": exc.text}
                    )
                )
        if problems:
            raise ValidationError(problems)
        return list(uploads)


class RejectReceiptForm(forms.Form):
    """R-RET-3: one of the four reasons, a note, and photos or videos of the parcel as received."""

    reason_code = forms.ChoiceField(
        label=_("Why do you reject the parcel?"), choices=ReceiptRejection.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("What you found when you opened the parcel."),
    )
    uploads = EvidenceField(
        label=_("Photos or videos of the parcel as received"),
        required=False,
        help_text=_("JPEG, PNG or WebP photos, or MP4 videos; at most 20 MB each and 9 in all."),
    )

    def __init__(self, *args, on_file=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_file = on_file
        if not on_file:
            self.fields["uploads"].required = True

    def clean_uploads(self):
        uploads = self.cleaned_data["uploads"]
        if self.on_file + len(uploads) > files.MAX_FILES_PER_SIDE:
            raise ValidationError(
                _("At most %(max)s files per claim; %(on_file)s are already on file."),
                params={"max": files.MAX_FILES_PER_SIDE, "on_file": self.on_file},
            )
        return uploads


class ReportBuyerForm(forms.Form):
    note = forms.CharField(
        label=_("What is wrong with this buyer?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("The platform's service staff read this report; the buyer does not."),
    )


class InvoiceRequestForm(forms.Form):
    """R-INV-1: the premiums of one insurer over a period."""

    insurer = forms.ModelChoiceField(label=_("Insurer"), queryset=None, empty_label=None)
    period_start = forms.DateField(label=_("Period start"), widget=DateInput)
    period_end = forms.DateField(label=_("Period end"), widget=DateInput)
    title = forms.CharField(label=_("Invoice title"), max_length=120, required=False)
    tax_id = forms.CharField(label=_("Tax id"), max_length=40, required=False)

    def __init__(self, *args, insurers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["insurer"].queryset = insurers

    def clean(self):
        # Said beside the end date before any preview; the service refuses such a period too (R-INV-1).
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends before it starts: choose an end on or after the start."))
        return data


class ApplyForm(forms.Form):
    """R-ENR-2: the merchant picks one of the insurers that sell the plan."""

    insurer = forms.ModelChoiceField(label=_("Insurer"), queryset=None, empty_label=None)

    def __init__(self, *args, enrolment, **kwargs):
        super().__init__(*args, prefix=f"apply-{enrolment.pk}", **kwargs)
        self.fields["insurer"].queryset = enrolment.plan.insurers.all()


class ShopDetailsForm(forms.ModelForm):
    """R-ENR-3 data; the change is made (and logged) by merchants.services.update_shop_details."""

    class Meta:
        model = Shop
        fields = SHOP_DETAIL_FIELDS
        widgets = {"return_address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # R-ENR-3: cover needs both; the portal never lets a merchant blank them out.
        for name in ("return_address", "payout_account"):
            self.fields[name].required = True
        # A form sent without the language keeps the shop's (it has a default, never blank).
        self.fields["language"].required = False

    def clean_language(self):
        return self.cleaned_data["language"] or self.instance.language


RATING_LABELS = {
    1: _("1 – poor"),
    2: _("2 – fair"),
    3: _("3 – good"),
    4: _("4 – very good"),
    5: _("5 – excellent"),
}


class RatingForm(forms.Form):
    """R-KPI-2: how the merchant rates the handling of a closed claim, 1 (poor) to 5 (very good)."""

    rating = forms.TypedChoiceField(
        label=_("How well was this claim handled?"),
        choices=[(n, label) for n, label in RATING_LABELS.items()],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class InviteColleagueForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    language = forms.ChoiceField(label=_("Language of the invitation"), choices=settings.LANGUAGES)


class JoinForm(forms.Form):
    """The sign-up link's form; accounts.invitations.accept checks the passwords."""

    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
