#!/usr/bin/env bash
# Reproduce docs/benchmarks.md (prints Markdown tables).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
.venv/bin/python scripts/bench.py "$@"
.venv/bin/python scripts/bench_gateway.py
.venv/bin/python scripts/bench_channels.py
.venv/bin/python scripts/bench_guard.py
.venv/bin/python scripts/bench_chain.py
.venv/bin/python scripts/bench_wechat_forensic.py
.venv/bin/python scripts/bench_scale.py
.venv/bin/python scripts/bench_throughput.py
.venv/bin/python scripts/bench_long_conversation.py
.venv/bin/python scripts/bench_startup.py
.venv/bin/python scripts/bench_onnx.py --rss
nice .venv/bin/python scripts/bench_memory.py
