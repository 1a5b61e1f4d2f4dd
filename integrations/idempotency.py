"""`Idempotency-Key` on POSTs (api.md): the first answer is stored with a hash of the request and
replayed for the same key and body; the same key with another body is a conflict.

The record, the action and the stored answer commit together, so an action that rolls back
leaves no record and may be retried; the unique (client, key) makes a concurrent twin wait for
the first transaction and then replay its answer instead of acting a second time."""

import datetime as dt
import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from kernel.errors import Conflict

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
# api.md promises at least 24 h; a day more covers clients retrying across a long outage.
KEEP = dt.timedelta(hours=48)
MAX_KEY_LENGTH = 255


def idempotent(handler):
    """Wrap a view's `post` so that a request carrying an Idempotency-Key acts at most once."""

    @functools.wraps(handler)
    def post(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not (0 < len(key) <= MAX_KEY_LENGTH) or not key.isprintable():
            raise serializers.ValidationError({HEADER: [_("Give 1 to 255 printable characters.")]})
        fingerprint = request_hash(request)
        with transaction.atomic():
            record, replay = _claim(request.auth, key, fingerprint)
            if replay is not None:
                return replay
            try:
                with transaction.atomic():
                    response = handler(view, request, *args, **kwargs)
            except Exception as exc:
                # The view turns a refusal into the answer to store; anything else it re-raises,
                # and the whole transaction, record included, rolls back.
                response = view.handle_exception(exc)
            _store(record, response)
        return response

    return post


def _claim(client, key, fingerprint):
    try:
        with transaction.atomic():
            return (
                IdempotencyRecord.objects.create(
                    client=client, key=key, request_hash=fingerprint, created_at=timezone.now()
                ),
                None,
            )
    except IntegrityError:
        pass
    first = IdempotencyRecord.objects.get(client=client, key=key)
    if first.request_hash != fingerprint:
        raise Conflict(
            _("This Idempotency-Key was already used with a different request."), code="idempotency_key_reused"
        )
    response = Response(first.response, status=first.status_code)
    response["Idempotent-Replayed"] = "true"
    return first, response


def _store(record, response):
    body = json.loads(JSONRenderer().render(response.data)) if response.data is not None else None
    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=response.status_code, response=body)


def request_hash(request):
    """A digest of what the request asks: method, path and parsed body (uploaded files by content),
    so that a retry re-encoding the same JSON or multipart body counts as the same request."""
    data = request.data
    if hasattr(data, "lists"):
        data = {name: [_value(v) for v in values] for name, values in data.lists()}
    canonical = json.dumps(
        {"method": request.method, "path": request.path.rstrip("/"), "data": data},
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _value(value):
    if not hasattr(value, "chunks"):
        return value
    digest = hashlib.sha256()
    for chunk in value.chunks():
        digest.update(chunk)
    value.seek(0)
    return {"file": digest.hexdigest(), "size": value.size}


def purge(now=None):
    """Forget records older than KEEP; run hourly by beat."""
    before = (now or timezone.now()) - KEEP
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=before).delete()
    return deleted
