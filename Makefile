# Every target builds what it needs from nothing: system libraries, the venv, the packages.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
# The demo runs from a plain (non-editable) install with no test or bench extras, as a user's would;
# its stamp covers the sources, so an edited file is reinstalled before the next demo.
DEMO_VENV  := .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed-$(shell find pyproject.toml closegate checks reporting templates -type f \
                ! -name '*.pyc' | sort | xargs cat | sha256sum | cut -c1-12)

.PHONY: demo test bench system-deps clean

# WeasyPrint renders through Pango (libpango-1.0-0, libpangoft2-1.0-0) and subsets fonts with
# HarfBuzz (libharfbuzz-subset0). The reports draw every script a tenant's names may be in: DejaVu
# for Latin, Greek, Cyrillic, Arabic and Hebrew, Noto for the rest (fonts-noto-core: Devanagari, Thai
# and the others; fonts-noto-cjk: Chinese, Japanese, Korean; fonts-noto-color-emoji). The tests check
# the PDF signatures independently with poppler's pdfsig (poppler-utils, also pdftoppm and pdffonts)
# against an NSS database they make with certutil (libnss3-tools).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-core \
	fonts-noto-cjk fonts-noto-color-emoji poppler-utils libnss3-tools

system-deps:
	@if ! ldconfig -p | grep -q libpangoft2-1.0.so.0 || ! ldconfig -p | grep -q libharfbuzz-subset.so.0 \
		|| ! fc-list | grep -q "Noto Sans CJK TC" || ! fc-list | grep -q "Noto Sans Devanagari" \
		|| ! fc-list | grep -q "Noto Color Emoji" || ! fc-list | grep -q "DejaVu Sans" \
		|| ! command -v pdfsig >/dev/null || ! command -v certutil >/dev/null; then \
		echo "installing PDF rendering and checking tools and fonts (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	fi

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[test,bench]'
	@rm -f $(VENV)/.installed-* && touch $@

$(DEMO_STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	@test -x $(DEMO_VENV)/bin/python || $(PYTHON) -m venv $(DEMO_VENV)
	@$(DEMO_VENV)/bin/python -m pip install -q --upgrade pip
	@$(DEMO_VENV)/bin/python -m pip install -q . 2>&1 | grep -v '^WARNING: Location' || true
	@rm -f $(DEMO_VENV)/.installed-* && touch $@

demo: $(DEMO_STAMP)
	$(DEMO_VENV)/bin/closegate demo --out demo-output

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -n auto

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(DEMO_VENV) demo-output build *.egg-info
