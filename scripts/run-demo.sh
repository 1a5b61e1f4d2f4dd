#!/usr/bin/env bash
# Start a Celery worker and beat beside the web server; stop them all together.
set -euo pipefail
PY=${PY:-.venv/bin/python}
PORT=${PORT:-8000}
CELERY="$(dirname "$PY")/celery"
mkdir -p var/log
# No -Q: one worker consumes every queue of CELERY_TASK_QUEUES (production runs a pool per queue).
"$CELERY" -A zhibao worker -P solo -c 1 --without-gossip --without-mingle --without-heartbeat -l info >var/log/worker.log 2>&1 &
WORKER=$!
"$CELERY" -A zhibao beat -l info -s var/celerybeat-schedule >var/log/beat.log 2>&1 &
BEAT=$!
# The stand-in of Alipay's gateway (R-PAY-6), unless ALIPAY_GATEWAY_URL points at a real one.
GATEWAY=
if [ -z "${ALIPAY_GATEWAY_URL:-}" ]; then
  "$PY" manage.py run_payment_gateway >var/log/payment-gateway.log 2>&1 &
  GATEWAY=$!
fi
trap 'kill $WORKER $BEAT $GATEWAY 2>/dev/null; wait 2>/dev/null' EXIT INT TERM

cat <<MSG

  Zhibao is serving the demo world on http://127.0.0.1:$PORT/
    Staff admin (reviewer, supervisor, staff, admin):  http://127.0.0.1:$PORT/admin/
    Merchant portal (merchant, merchant2):             http://127.0.0.1:$PORT/portal/
    Integration API docs:                              http://127.0.0.1:$PORT/api/docs/
  Every demo password is: zhibao-demo-2026
  Celery worker and beat logs: var/log/worker.log, var/log/beat.log
  Payment gateway stand-in log: var/log/payment-gateway.log
  Stop with Ctrl-C.

MSG
"$PY" manage.py runserver "127.0.0.1:$PORT" --noreload
