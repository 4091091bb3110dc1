#!/usr/bin/env bash
# The whole test suite: lint, types, then pytest (unit + end-to-end over REST).
# `make test` runs it after setup; extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
echo "== ruff"
$BIN/ruff check .
$BIN/ruff format --check .
echo "== mypy"
$BIN/mypy
echo "== pytest"
$BIN/python -m pytest "$@"
