# One command to set up and run, one to test. See README.md.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
# Public evaluation data, when this checkout sits beside it (measured on, never trained on).
BANKING77 := ../shared/benchmarks/banking77_mapped.tsv

.PHONY: run setup install onnx kb model test lint chat bench eval clean

run: setup  ## set everything up, then start the action server, Rasa and the gateway
	scripts/run.sh

setup: install onnx kb model  ## venv + pinned packages, ONNX model, KB index, Rasa model (if stale)

install: $(VENV)/.installed

# Exact pins (requirements/lock.txt) mean pip never backtracks; re-run when they change.
$(VENV)/.installed: requirements/lock.txt pyproject.toml
	@test -x $(BIN)/python || "$$(scripts/find-python)" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@

# MiniLM exported for onnxruntime (var/onnx/), from the model on disk: no download.
onnx: install  ## export the embedding model to ONNX if it is missing or stale
	$(BIN)/python -m faq_kb.onnx_export

kb: onnx  ## build the knowledge-base index if the articles (or the model's backend) changed
	$(BIN)/python -m faq_kb build

model: install  ## train the Rasa model if its data, config or components changed
	$(BIN)/python -m bot.train

test: setup  ## lint, type-check and run the whole test suite
	scripts/test.sh

chat: install  ## chat with the running assistant in this terminal
	$(BIN)/python -m bot.chat

eval: install  ## the end-to-end evaluation against the running stack (make run)
	$(BIN)/python -m bot.evaluate $(if $(wildcard $(BANKING77)),--banking77 $(BANKING77))

bench: setup  ## reproduce docs/benchmarks.md
	scripts/bench.sh

clean:
	rm -rf var .venv
