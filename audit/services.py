import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from django.contrib.contenttypes.models import ContentType
from django.db.models import Field, Model, QuerySet
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from kernel.actors import Actor, require
from kernel.errors import transition_refused

from .masking import BODIES, DISCLOSURE, SENSITIVE
from .models import Disclosure, TransitionLog


def record_transition(
    obj: Model,
    *,
    transition: str,
    source: str | None,
    target: str,
    actor: Actor,
    reason: str = "",
    at: dt.datetime | None = None,
) -> TransitionLog:
    """Write the audit row for a state change of `obj` (called inside the changing transaction)."""
    row = transition_row(obj, transition=transition, source=source, target=target, actor=actor, reason=reason, at=at)
    row.save()
    return row


def transition_row(
    obj: Model,
    *,
    transition: str,
    source: str | None,
    target: str,
    actor: Actor,
    reason: str = "",
    at: dt.datetime | None = None,
) -> TransitionLog:
    """The unsaved audit row of a state change: record_transition saves one, bulk writers many."""
    return TransitionLog(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        transition=transition,
        source=source or "",
        target=target,
        at=at or timezone.now(),
        role=actor.role,
        channel=actor.channel,
        user_id=actor.user_id,
        client_id=actor.client_id,
        actor_label=actor.label,
        reason=reason or "",
    )


def history(obj: Model) -> QuerySet[TransitionLog]:
    return TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk).order_by(
        "at", "id"
    )


def version(obj: Model, state: str) -> str:
    """The version of `obj` a page shows: its state and its last audit row. A page older than
    either is out of date, and an action sent from it is refused."""
    last = history(obj).values_list("pk", flat=True).last() if obj.pk else None
    return f"{state}:{last or 0}"


def histories(objects: Iterable[Model]) -> dict[int, list[TransitionLog]]:
    """{pk: [rows]} for objects of one model, in one query (a page of an API list)."""
    objects = list(objects)
    if not objects:
        return {}
    rows: dict[int, list[TransitionLog]] = {}
    logs = TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(objects[0]), object_id__in=[obj.pk for obj in objects]
    ).order_by("at", "id")
    for log in logs:
        rows.setdefault(log.object_id, []).append(log)
    return rows


def apply_transition(
    obj: Model, name: str, actor: Actor, *, at: dt.datetime, reason: str = "", **kwargs: Any
) -> TransitionLog:
    """Run the FSM transition `name` on `obj`, save it, and write its audit row.

    Every transition method takes `at` and `reason` (what the audit row records) and may take more.

    Must run inside the caller's transaction: the FSM's optimistic lock refuses the save if
    another process changed the state since `obj` was read, and the whole use case rolls back.
    """
    source = run_transition(obj, name, at=at, reason=reason, **kwargs)
    try:
        obj.save()
    except ConcurrentTransition as exc:
        raise transition_refused(obj, name, source) from exc
    return record_transition(
        obj, transition=name, source=source, target=state_of(obj), actor=actor, reason=reason, at=at
    )


def run_transition(obj: Model, name: str, *, at: dt.datetime, reason: str = "", **kwargs: Any) -> str:
    """Run the FSM transition `name` on `obj` in memory only, refused exactly as apply_transition
    refuses it; returns the state it left. Bulk writers save the objects and their audit rows
    (transition_row) themselves, on rows they hold locked."""
    source = state_of(obj)
    method = getattr(obj, name)
    if not can_proceed(method):
        raise transition_refused(obj, name, source)
    try:
        method(at=at, reason=reason, **kwargs)
    except TransitionNotAllowed as exc:
        raise transition_refused(obj, name, source) from exc
    return source


def state_of(obj: Model) -> str:
    """The state of a life cycle's object (every FSM field here is called `status`)."""
    field = cast(Field[Any, str], obj._meta.get_field("status"))
    state: str = field.value_from_object(obj)
    return state


def disclose(obj: Model, field: str, actor: Actor, *, reason: str = "", at: dt.datetime | None = None) -> Any:
    """A masked field of `obj` in full, for a role allowed to see it; the disclosure is recorded
    first, so that nobody sees a value without a row saying so."""
    if field not in SENSITIVE and field not in BODIES:
        raise ValueError(f"{field} is not a masked field")
    require(actor, "disclose", DISCLOSURE)
    Disclosure.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        field=field,
        at=at or timezone.now(),
        role=actor.role,
        channel=actor.channel,
        user_id=actor.user_id,
        actor_label=actor.label,
        reason=reason or "",
    )
    return getattr(obj, field)
