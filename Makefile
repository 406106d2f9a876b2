# Two commands do everything on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install index run test eval tune corpus clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# CPU torch first, from the wheel this machine provides; then the project.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

index: install  ## index corpus/ (a no-change refresh takes seconds)
	$(BIN)/python -m assistant ingest corpus/

run: index  ## index corpus/ if needed, then answer questions in the terminal
	$(BIN)/python -m assistant chat

test: install  ## the whole test suite, offline
	$(BIN)/python -m pytest -q

eval: index  ## the eval set on the default index; writes evals/out/default/
	$(BIN)/python -m evals run --out evals/out/default

tune: index  ## measure the fusion weight and calibrate the refusal threshold
	$(BIN)/python -m evals tune

corpus:  ## rebuild corpus/ from ../shared
	$(PYTHON) scripts/build_corpus.py

clean:
	rm -rf $(VENV) data build *.egg-info
