from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from .models import TransitionLog


def record_transition(obj, *, transition, source, target, actor, reason="", at=None):
    """Write the audit row for a state change of `obj` (called inside the changing transaction)."""
    return TransitionLog.objects.create(
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


def history(obj):
    return TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk).order_by(
        "at", "id"
    )


def apply_transition(obj, name, actor, *, at, reason="", **kwargs):
    """Run the FSM transition `name` on `obj`, save it, and write its audit row.

    Every transition method takes `at` and `reason` (what the audit row records) and may take more.

    Must run inside the caller's transaction: the FSM's optimistic lock refuses the save if
    another process changed the state since `obj` was read, and the whole use case rolls back.
    """
    from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

    from zhibao.errors import transition_refused

    field = obj._meta.get_field("status")
    source = field.value_from_object(obj)
    method = getattr(obj, name)
    if not can_proceed(method):
        raise transition_refused(obj, name, source)
    try:
        method(at=at, reason=reason, **kwargs)
        obj.save()
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        raise transition_refused(obj, name, source) from exc
    return record_transition(obj, transition=name, source=source, target=obj.status, actor=actor, reason=reason, at=at)
