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
"$PY" manage.py runserver "127.0.0.1:$PORT" --noreload &
SERVER=$!
trap 'kill $SERVER $WORKER $BEAT $GATEWAY 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
# The logins come last, once the server answers, below everything the processes print on start.
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 $SERVER 2>/dev/null || exit 1
  sleep 0.2
done

cat <<MSG

  Zhibao is serving the demo world on http://127.0.0.1:$PORT/

    Staff admin      http://127.0.0.1:$PORT/admin/     reviewer, supervisor, staff, admin (superuser)
    Merchant portal  http://127.0.0.1:$PORT/portal/    merchant (demo-shop), merchant2 (demo-shop-2)
    API docs         http://127.0.0.1:$PORT/api/docs/

    Every demo password is: zhibao-demo-2026

  Logs: var/log/worker.log, var/log/beat.log, var/log/payment-gateway.log. Stop with Ctrl-C.

MSG
wait $SERVER
