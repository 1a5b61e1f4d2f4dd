"""The portal reaches a shop's rows only through `scoped()` (Model.objects.for_actor): a view that
names a shop-owned model's manager directly could show every shop's rows."""

import ast
from pathlib import Path

from django.apps import apps

import portal
from claims.models import Claim
from kernel.querysets import ScopedQuerySet

PORTAL = Path(portal.__file__).parent


def _scoped_models():
    return {model.__name__ for model in apps.get_models() if isinstance(model._default_manager.all(), ScopedQuerySet)}


def _direct_manager_uses():
    scoped = _scoped_models()
    for path in sorted(PORTAL.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("objects", "_default_manager")
                and isinstance(node.value, ast.Name)
                and node.value.id in scoped
            ):
                yield f"{path.relative_to(PORTAL.parent)}:{node.lineno} {node.value.id}.{node.attr}"


def test_shop_owned_models_are_scoped():
    # A guard for the guard: the models the portal lists are the ones the scan looks for.
    assert {"Claim", "RefundRequest", "Policy", "Invoice", "Notice", "Entry", "Enrolment", "Shop"} <= _scoped_models()
    assert isinstance(Claim.objects.all(), ScopedQuerySet)


def test_portal_code_reads_shop_owned_models_only_through_scoped():
    assert list(_direct_manager_uses()) == []
