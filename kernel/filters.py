"""What every list's FilterSet (django-filter) is made of, shared by the portal and the API: a
list of choices separated by commas, and a time that must carry its UTC offset."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

# Times outside this span are typing mistakes, and would overflow the deadline arithmetic.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


class DateInput(forms.DateInput):
    """A date picker."""

    input_type = "date"


class ChoicesField(forms.CharField):
    """One choice, or several separated by commas; shown as a select of them."""

    def __init__(self, *, choices: list[tuple[str, Any]], **kwargs: Any) -> None:
        self.valid = {value for value, _label in choices}
        kwargs.setdefault("widget", forms.Select(choices=[("", _("All")), *choices]))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value)
        values = [v.strip() for v in text.split(",") if v.strip()]
        unknown = [v for v in values if v not in self.valid]
        if unknown:
            raise ValidationError(_("Unknown: %s.") % ", ".join(unknown), code="invalid_choice")
        return values


@extend_schema_field(OpenApiTypes.STR)
class ChoicesFilter(django_filters.Filter):  # type: ignore[misc]  # django-filter is untyped
    """Rows whose `field_name` is any of the given values."""

    field_class = ChoicesField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("lookup_expr", "in")
        super().__init__(*args, **kwargs)

    def filter(self, qs: Any, value: list[str]) -> Any:
        return super().filter(qs, value or None)


class AwareDateTimeField(forms.DateTimeField):
    """An ISO 8601 time with its UTC offset, between the years 2000 and 2100."""

    default_error_messages = {
        "naive": _("Give the time with its UTC offset, e.g. 2026-03-01T10:00:00+08:00."),
        "out_of_range": _("The time must lie between the years 2000 and 2100."),
    }

    def to_python(self, value: Any) -> dt.datetime | None:
        if value in self.empty_values:
            return None
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if timezone.is_naive(moment):
            raise ValidationError(self.error_messages["naive"], code="naive")
        if not (EARLIEST <= moment <= LATEST):
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return moment


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeFilter(django_filters.Filter):  # type: ignore[misc]  # django-filter is untyped
    field_class = AwareDateTimeField
