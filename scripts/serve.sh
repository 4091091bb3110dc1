#!/usr/bin/env bash
# One process of one role; run as many as the load needs (README: "Running at scale").
#
#   scripts/serve.sh migrate   # once per release: the desk's schema (safe to race)
#   scripts/serve.sh actions   # the action server         (PORT, default 5055)
#   scripts/serve.sh rasa      # a Rasa server             (PORT, default 5005)
#   scripts/serve.sh gateway   # web chat, desk, webhooks  (PORT, default 8000)
#
# Configuration is the environment: DATABASE_URL and REDIS_URL select the
# production profile; ACTION_ENDPOINT_URL (Rasa -> actions), DESK_RASA_URL
# (gateway -> Rasa, one URL or several separated by commas), ACTIONS_URL
# (gateway -> actions, health checks; set it empty where the gateway can't reach
# the action server, as in compose.yaml). HOST is the interface (default 0.0.0.0).
#
# Rasa runs without its HTTP API (no --enable-api): the gateway needs only the REST
# channel (/webhooks/rest/webhook), and the API would let anyone who reaches the
# port read or rewrite any conversation's tracker or replace the model. Readiness:
# GET /webhooks/rest/ answers {"status": "ok"} once the model is loaded.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
HOST=${HOST:-0.0.0.0}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
# A Rasa server killed mid-turn holds its conversation's Redis lock until the
# ticket expires; the default 60 s would stall that user for a minute. A turn
# takes well under a second, plus at most 3 s for a blockchain lookup.
export TICKET_LOCK_LIFETIME=${TICKET_LOCK_LIFETIME:-10}

case "${1:-}" in
  migrate)
    exec "$BIN/python" -m handoff migrate ;;
  actions)
    exec "$BIN/rasa" run actions --actions bot.actions --port "${PORT:-5055}" ;;
  rasa)
    model=$("$BIN/python" -m bot.train --print-path)
    [ -f "$model" ] || { echo "no trained model at $model: run 'make setup'" >&2; exit 1; }
    eval "$("$BIN/python" -m bot.endpoints)"
    export ACTION_ENDPOINT_URL=${ACTION_ENDPOINT_URL:-http://127.0.0.1:5055/webhook}
    export RASA_TRACKER_DB=${RASA_TRACKER_DB:-$PWD/var/rasa_tracker.db}
    exec "$BIN/python" -m bot.rasa_server run --model "$model" --endpoints "$RASA_ENDPOINTS" \
      --credentials credentials.yml --interface "$HOST" --port "${PORT:-5005}" ;;
  gateway)
    exec "$BIN/python" -m gateway --host "$HOST" --port "${PORT:-8000}" \
      --actions-url "${ACTIONS_URL-http://127.0.0.1:5055}" ;;
  *)
    echo "usage: scripts/serve.sh migrate|actions|rasa|gateway" >&2; exit 2 ;;
esac
