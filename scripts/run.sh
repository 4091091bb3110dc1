#!/usr/bin/env bash
# Start the action server, the Rasa server (REST channel) and the gateway (web
# chat, agent console, metrics), wait until all answer, and stop all on Ctrl-C.
# Ports: RASA_PORT (5005), ACTIONS_PORT (5055), DESK_PORT (8000); logs in LOG_DIR (var/log).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
export DESK_PORT=${DESK_PORT:-8000}
export DESK_RASA_URL=${DESK_RASA_URL:-http://127.0.0.1:$RASA_PORT}
export DESK_API_DOCS=${DESK_API_DOCS:-true}  # local development only: off in production
HOST=${HOST:-127.0.0.1}
if [[ $HOST == 127.* || $HOST == localhost ]]; then
  # Bound to loopback, every client is this machine (the page, `make chat`, and
  # `make eval`'s hundreds of fresh visitors): per-address limits would count them as
  # one client. Per-visitor limits, the body limit and login backoff stay on.
  export DESK_LIMIT_VISITORS_PER_IP=${DESK_LIMIT_VISITORS_PER_IP:-1000000/minute}
  export DESK_LIMIT_MESSAGES_PER_IP=${DESK_LIMIT_MESSAGES_PER_IP:-1000000/minute}
  export DESK_LIMIT_HANDOFFS_PER_IP=${DESK_LIMIT_HANDOFFS_PER_IP:-1000000/hour}
fi
LOG_DIR=${LOG_DIR:-var/log}
mkdir -p "$LOG_DIR"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
export ACTION_ENDPOINT_URL=${ACTION_ENDPOINT_URL:-http://127.0.0.1:$ACTIONS_PORT/webhook}
export RASA_TRACKER_DB=${RASA_TRACKER_DB:-$PWD/var/rasa_tracker.db}

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# The same role commands as a scaled deployment (README: "Running at scale").
PORT=$ACTIONS_PORT HOST=$HOST scripts/serve.sh actions >"$LOG_DIR/actions.log" 2>&1 &
pids+=($!)
PORT=$RASA_PORT HOST=$HOST scripts/serve.sh rasa >"$LOG_DIR/rasa.log" 2>&1 &
pids+=($!)
PORT=$DESK_PORT HOST=$HOST ACTIONS_URL="http://127.0.0.1:$ACTIONS_PORT" \
  scripts/serve.sh gateway >"$LOG_DIR/gateway.log" 2>&1 &
pids+=($!)

echo "Starting the action server (:$ACTIONS_PORT), Rasa (:$RASA_PORT) and the gateway (:$DESK_PORT); Rasa takes longest (TensorFlow and the model)..."
bootstrap=""
for _ in $(seq 1 240); do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a server exited; see $LOG_DIR/*.log" >&2; tail -n 30 "$LOG_DIR"/*.log >&2; exit 1; }
  done
  gateway_up=""
  curl -fsS "http://127.0.0.1:$DESK_PORT/health" >/dev/null 2>&1 && gateway_up=1
  # The first agent, once the gateway has migrated the desk's database (two first
  # migrations at once would contend for SQLite's lock), while Rasa is still loading.
  if [[ -n $gateway_up && -z $bootstrap ]]; then
    $BIN/python -m handoff agents bootstrap &
    bootstrap=$!
  fi
  if [[ -n $gateway_up ]] &&
     curl -fsS "http://127.0.0.1:$ACTIONS_PORT/health" >/dev/null 2>&1 &&
     curl -fsS "http://127.0.0.1:$RASA_PORT/webhooks/rest/" >/dev/null 2>&1; then
    wait "$bootstrap" || { echo "creating the first agent failed (python -m handoff agents bootstrap)" >&2; exit 1; }
    cat <<MSG

The assistant is up.
  Web chat:             http://$HOST:$DESK_PORT/chat/
  Agent console:        http://$HOST:$DESK_PORT/console/   (first login: admin@localhost, password in var/initial_agent_password)
  API docs:             http://$HOST:$DESK_PORT/docs       metrics: http://$HOST:$DESK_PORT/metrics
  Chat in a terminal:   DESK_PORT=$DESK_PORT make chat   (another terminal)
  REST channel:         curl -s -X POST http://$HOST:$RASA_PORT/webhooks/rest/webhook \\
                          -d '{"sender": "me", "message": "USDT没到账", "metadata": {"language": "zh"}}'
  Logs:                 $LOG_DIR/rasa.log, $LOG_DIR/actions.log, $LOG_DIR/gateway.log
Press Ctrl-C to stop.
MSG
    wait -n "${pids[@]}"
    echo "a server stopped; see $LOG_DIR/*.log" >&2
    exit 1
  fi
  sleep 1
done
echo "timed out waiting for the servers; see $LOG_DIR/*.log" >&2
exit 1
