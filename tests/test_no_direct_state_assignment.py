"""State moves only through django-fsm @transition methods (style guide practice 1): no code outside
them assigns `.status` / `.state`, sets them with setattr, or writes them with a bulk update()."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STATE_NAMES = {"status", "state"}
SKIPPED_DIRS = {"tests", "migrations", "node_modules", "var", "staticfiles", "test-output", "__pycache__"}
WRITING_CALLS = {"update", "create", "get_or_create", "update_or_create", "bulk_create"}


def project_files():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in parts[:-1]):
            continue
        if path.name.startswith("test_") or path.name == "conftest.py":
            continue
        yield path


def _is_transition(decorator):
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name == "transition"


def _targets(node):
    if isinstance(node, ast.Assign):
        pending = list(node.targets)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        pending = [node.target]
    else:
        return
    while pending:
        target = pending.pop()
        if isinstance(target, ast.Tuple | ast.List):
            pending.extend(target.elts)
        elif isinstance(target, ast.Starred):
            pending.append(target.value)
        else:
            yield target


class StateWrites(ast.NodeVisitor):
    def __init__(self):
        self.found = []
        self._in_transition = 0

    def _function(self, node):
        inside = any(_is_transition(d) for d in node.decorator_list)
        self._in_transition += inside
        self.generic_visit(node)
        self._in_transition -= inside

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def _assignment(self, node):
        if not self._in_transition:
            for target in _targets(node):
                if isinstance(target, ast.Attribute) and target.attr in STATE_NAMES:
                    self.found.append((node.lineno, f".{target.attr} assigned"))
        self.generic_visit(node)

    visit_Assign = visit_AugAssign = visit_AnnAssign = _assignment

    def visit_Call(self, node):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "setattr" and len(node.args) >= 2:
            attr = node.args[1]
            if isinstance(attr, ast.Constant) and attr.value in STATE_NAMES:
                self.found.append((node.lineno, f"setattr(…, {attr.value!r})"))
        if name in WRITING_CALLS:
            for keyword in node.keywords:
                if keyword.arg in STATE_NAMES:
                    self.found.append((node.lineno, f"{name}({keyword.arg}=…)"))
        self.generic_visit(node)


def state_writes(source):
    visitor = StateWrites()
    visitor.visit(ast.parse(source))
    return visitor.found


def test_no_code_assigns_a_state_outside_a_transition():
    files = list(project_files())
    scanned = {str(path.relative_to(ROOT)) for path in files}
    expected = {"claims/services/review.py", "claims/models/claim.py", "merchants/services.py", "policies/services.py"}
    assert expected <= scanned
    assert not [name for name in scanned if "/migrations/" in name or name.startswith("tests/")]
    offences = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in files
        for line, what in state_writes(path.read_text(encoding="utf-8"))
    ]
    assert offences == [], "State changes only through @transition methods:\n" + "\n".join(offences)


@pytest.mark.parametrize(
    "source",
    [
        'claim.status = "paid"',
        'claim.status: str = "paid"',
        'label, claim.status = "x", "paid"',
        'self.enrolment.state += "x"',
        'setattr(claim, "status", "paid")',
        'Claim.objects.filter(pk=1).update(status="paid")',
        'Claim.objects.create(status="paid", kind="refund_only")',
        'def pay(claim):\n    claim.status = "paid"\n',
        '@admin.action\ndef pay(modeladmin, request, queryset):\n    for c in queryset:\n        c.status = "paid"\n',
        'class Claim:\n    def helper(self):\n        self.status = "paid"\n',
    ],
)
def test_the_check_catches_a_direct_state_write(source):
    assert state_writes(source), source


@pytest.mark.parametrize(
    "source",
    [
        '@transition(field=status, source="a", target="b")\ndef move(self, at, reason):\n    self.status = "b"\n',
        '@django_fsm.transition(field=status, source="a", target="b")\ndef move(self):\n    self.state = "b"\n',
        'if claim.status == "paid":\n    pass\n',
        "obj._state.adding = True",
        "response.status_code = 200",
        'Claim.objects.filter(status="refunded").update(refund_overdue_at=None)',
        'status = "paid"',
    ],
)
def test_the_check_leaves_transitions_and_reads_alone(source):
    assert state_writes(source) == [], source
