"""ingest_ratio: sub-orders per second through the API (POST /api/v1/orders with 1000 per call, then
order-events shipping them, so that their policies are issued) against a raw PostgreSQL COPY and
Django's bulk_create of the same rows into the same tables, in the same run.

"The same rows" is taken literally: the baselines copy the rows the API has just written
(sub-orders, policies, audit rows, ledger entries, notices, webhook deliveries), with their unique
keys changed, so that they are as many and as wide as the API's."""

import datetime as dt
import json
import threading
import time
import uuid

import requests
from django.db import connection, transaction

from audit.models import TransitionLog
from integrations.models import WebhookDelivery
from ledger.models import Entry
from notices.models import Notice
from policies.models import Policy, SubOrder

from .world import PLAN, SHOPS, shop_id

BATCH = 1000
CLIENTS = 2
TABLES = (SubOrder, Policy, TransitionLog, Entry, Notice, WebhookDelivery)


def sub_order_id(index):
    return f"bench-so-{index}"


def order_batches(first, last, now):
    placed = (now - dt.timedelta(days=5)).isoformat()
    return [
        json.dumps(
            {
                "orders": [
                    {
                        "sub_order_id": sub_order_id(i),
                        "order_id": f"bench-o-{i}",
                        "shop_id": shop_id(i % SHOPS),
                        "buyer_id": f"bench-buyer-{i}",
                        "product_id": "kettle-KX-12",
                        "warranty_plan": PLAN,
                        "paid_amount": "199.00",
                        "placed_at": placed,
                    }
                    for i in range(start, min(start + BATCH, last))
                ]
            }
        ).encode()
        for start in range(first, last, BATCH)
    ]


def event_batches(first, last, event_type, at):
    return [
        json.dumps(
            {
                "events": [
                    {"sub_order_id": sub_order_id(i), "type": event_type, "at": at.isoformat()}
                    for i in range(start, min(start + BATCH, last))
                ]
            }
        ).encode()
        for start in range(first, last, BATCH)
    ]


class Api:
    def __init__(self, base_url, key):
        self.base_url = base_url
        self.headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
        self.local = threading.local()

    def post(self, path, body, expect=(200, 201)):
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        response = session.post(self.base_url + path, data=body, headers=self.headers, timeout=120)
        if response.status_code not in expect:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:500]}")
        return response

    def upload(self, path, content, note=""):
        """A multipart evidence upload (the JSON content type is not sent)."""
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        response = session.post(
            self.base_url + path,
            files={"file": ("photo.jpg", content, "image/jpeg")},
            data={"note": note},
            headers={"Authorization": self.headers["Authorization"]},
            timeout=120,
        )
        if response.status_code != 201:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:500]}")
        return response


def run_concurrently(jobs, clients=CLIENTS):
    """Run the callables on `clients` threads; returns the seconds it took."""
    queue, errors = list(jobs), []
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not queue or errors:
                    return
                job = queue.pop(0)
            try:
                job()
            except Exception as exc:  # reported by the caller
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def max_ids():
    return {model: (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) for model in TABLES}


def through_api(api, first, last, now):
    """Orders then shipments of sub-orders first … last - 1, a batch of 1000 at a time on CLIENTS
    connections; returns the seconds it took."""
    orders = order_batches(first, last, now)
    shipped = event_batches(first, last, "shipped", now - dt.timedelta(days=4))

    def job(order_body, event_body):
        def run():
            api.post("/api/v1/orders", order_body, expect=(201,))
            api.post("/api/v1/order-events", event_body, expect=(200,))

        return run

    return run_concurrently([job(o, e) for o, e in zip(orders, shipped, strict=True)])


def written_since(before):
    return {model: model.objects.filter(pk__gt=before[model]).count() for model in TABLES}


# -- the COPY baseline -------------------------------------------------------------------


def _columns(model):
    return [field.column for field in model._meta.concrete_fields]


def _clone_exprs(model, shifts, prefix):
    """SQL expressions that turn an API row into a new row: new ids, new unique keys, foreign keys
    pointing at the cloned parents."""
    overrides = {
        "id": f"id + {shifts[model]}",
    }
    if model is SubOrder:
        overrides["sub_order_id"] = f"'{prefix}' || sub_order_id"
    elif model is Policy:
        overrides.update(policy_no=f"'{prefix}' || policy_no", sub_order_id=f"sub_order_id + {shifts[SubOrder]}")
    elif model is TransitionLog:
        overrides["object_id"] = f"object_id + {shifts[Policy]}"
    elif model in (Entry, Notice):
        overrides["policy_id"] = f"policy_id + {shifts[Policy]}"
    elif model is WebhookDelivery:
        overrides["event_id"] = "gen_random_uuid()"
    return [overrides.get(column, f'"{column}"') for column in _columns(model)]


def _shifts(before):
    """How far to move each table's ids so that the clones come after every existing row."""
    after = max_ids()
    return {model: after[model] - before[model] for model in TABLES}


def copy_baseline(before, prefix):
    """COPY the API's rows out (untimed), then COPY them back in as new rows (timed, committed)."""
    shifts = _shifts(before)
    data = {}
    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        for model in TABLES:
            exprs = ", ".join(_clone_exprs(model, shifts, prefix))
            query = f"COPY (SELECT {exprs} FROM {model._meta.db_table} WHERE id > {before[model]}) TO STDOUT"
            with raw.copy(query) as copy:
                data[model] = b"".join(bytes(chunk) for chunk in copy)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        for model in TABLES:
            columns = ", ".join(f'"{c}"' for c in _columns(model))
            with raw.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
                copy.write(data[model])
            raw.execute(
                f"SELECT setval(pg_get_serial_sequence('{model._meta.db_table}', 'id'), "
                f"(SELECT max(id) FROM {model._meta.db_table}))"
            )
    return time.perf_counter() - started


# -- the bulk_create baseline ------------------------------------------------------------


def bulk_create_baseline(before, prefix):
    """Load the API's rows as objects (untimed), then bulk_create them as new rows (timed), a
    transaction per 1000 sub-orders as the API has."""
    orders = list(SubOrder.objects.filter(pk__gt=before[SubOrder]).order_by("pk"))
    policies = {p.sub_order_id: p for p in Policy.objects.filter(pk__gt=before[Policy])}
    children = {model: {} for model in (TransitionLog, Entry, Notice)}
    for log in TransitionLog.objects.filter(pk__gt=before[TransitionLog]):
        children[TransitionLog].setdefault(log.object_id, []).append(log)
    for model in (Entry, Notice):
        for row in model.objects.filter(pk__gt=before[model]):
            children[model].setdefault(row.policy_id, []).append(row)
    # Deliveries name their policy in the payload only: take them in order, one per policy.issued.
    deliveries = list(WebhookDelivery.objects.filter(pk__gt=before[WebhookDelivery]).order_by("pk"))
    per_order = len(deliveries) // max(len(orders), 1)
    batches = []
    for start in range(0, len(orders), BATCH):
        chunk = orders[start : start + BATCH]
        chunk_policies = [policies[o.pk] for o in chunk if o.pk in policies]
        batches.append(
            (
                chunk,
                chunk_policies,
                {model: [r for p in chunk_policies for r in rows.get(p.pk, ())] for model, rows in children.items()},
                deliveries[start * per_order : (start + len(chunk)) * per_order],
            )
        )
    started = time.perf_counter()
    for chunk, chunk_policies, rows, chunk_deliveries in batches:
        with transaction.atomic():
            old_orders = {o.pk: o for o in chunk}
            for order in chunk:
                order.old_pk, order.pk = order.pk, None
                order.sub_order_id = prefix + order.sub_order_id
            SubOrder.objects.bulk_create(chunk)
            new_order = {o.old_pk: o.pk for o in old_orders.values()}
            for policy in chunk_policies:
                policy.old_pk, policy.pk = policy.pk, None
                policy.policy_no = prefix + policy.policy_no
                policy.sub_order_id = new_order[policy.sub_order_id]
            Policy.objects.bulk_create(chunk_policies)
            new_policy = {p.old_pk: p.pk for p in chunk_policies}
            for log in rows[TransitionLog]:
                log.pk, log.object_id = None, new_policy[log.object_id]
            for row in rows[Entry] + rows[Notice]:
                row.pk, row.policy_id = None, new_policy[row.policy_id]
            for delivery in chunk_deliveries:
                delivery.pk, delivery.event_id = None, uuid.uuid4()
            TransitionLog.objects.bulk_create(rows[TransitionLog])
            Entry.objects.bulk_create(rows[Entry])
            Notice.objects.bulk_create(rows[Notice])
            WebhookDelivery.objects.bulk_create(chunk_deliveries)
    return time.perf_counter() - started
