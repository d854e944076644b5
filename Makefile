# Fresh machine: `make demo` (runs the main job on the bundled samples) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# SETUP: another bundled setup instead of the 2023 Ninh Sơn district one, e.g. SETUP=khanh-hoa-2026 (the province in
# 2026): its configuration config/<setup with _>.yaml, its own data root .setups/<setup>/ (one data root, one
# ledger), its period (SETUP_PERIOD_<setup>) and sample workbooks generated (seeded) at demo time.
SETUP ?=
SETUP_PERIOD_khanh-hoa-2026 := 2026-6T
ifneq ($(SETUP),)
PERIOD ?= $(SETUP_PERIOD_$(SETUP))
export PIPELINE_CONFIG := $(CURDIR)/config/$(subst -,_,$(SETUP)).yaml
export PIPELINE_DATA_DIR := $(CURDIR)/.setups/$(SETUP)
SAMPLES_FOR = $(PIPELINE_DATA_DIR)/samples/$(PERIOD)
else
SAMPLES_FOR = samples/$(PERIOD)
endif
PERIOD ?= 2023-6T
DATA_ROOT = $(or $(PIPELINE_DATA_DIR),$(CURDIR))
# The bundled samples are registered as received by district staff (python -m pipeline receive), at 09:00 two
# days before the period's deadline (05/5, 05/8, 05/11): on time.
PERIOD_YEAR = $(word 1,$(subst -, ,$(PERIOD)))
PERIOD_KIND = $(word 2,$(subst -, ,$(PERIOD)))
SAMPLES_DAY_6T := 05-03
SAMPLES_DAY_9T := 08-03
SAMPLES_DAY_CN := 11-03
SAMPLES_RECEIVED_AT ?= $(PERIOD_YEAR)-$(SAMPLES_DAY_$(PERIOD_KIND))T09:00:00+07:00
SAMPLES_RECEIVED_BY ?= Cán bộ mẫu (dữ liệu minh họa)
SAMPLES_NOTE ?= Bộ số liệu mẫu kèm theo dự án, không phải báo cáo thật của đơn vị
DAG_ID := periodic_report

export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__UNIT_TEST_MODE := False
export PYTHONPATH := $(CURDIR)

.PHONY: demo backfill backfill-period test setup airflow-db system-deps receive-samples samples template lint \
	lint-imports typecheck bench clean up down services-cmd portal screenshots

## demo: set up, register the sample submissions as received, run the DAG, print one line per unit and the
## path of the report's version made (…/reports/2023/6T/v1/bao-cao-2023-6T.docx; exit 1 when none was produced)
demo: setup airflow-db receive-samples
	@echo "Running DAG $(DAG_ID) for $(PERIOD) (log: .airflow/demo-$(PERIOD).log) ..."
	@$(BIN)/airflow dags test $(DAG_ID) -c '{"period": "$(PERIOD)"}' > .airflow/demo-$(PERIOD).log 2>&1 \
		|| { tail -n 40 .airflow/demo-$(PERIOD).log; exit 1; }
	@grep -q "DagRun Finished: dag_id=$(DAG_ID).*state=success" .airflow/demo-$(PERIOD).log \
		|| { echo "DAG run did not succeed; see .airflow/demo-$(PERIOD).log" >&2; exit 1; }
	@$(BIN)/python -m pipeline summary $(PERIOD)

## backfill: the year's periods in order (YEAR=2023: 2023-6T, 2023-9T, 2023-CN): register samples/<period>/ as
## received before each deadline, run the DAG with `airflow dags test`, print each report's path. Safe to re-run:
## the same files are not registered twice and each run overwrites its period's outputs.
YEAR ?= 2023
BACKFILL_KINDS ?= 6T 9T CN
backfill: setup airflow-db
	@for kind in $(BACKFILL_KINDS); do \
		$(MAKE) --no-print-directory backfill-period PERIOD=$(YEAR)-$$kind || exit 1; \
	done

backfill-period: receive-samples
	@echo "Running DAG $(DAG_ID) for $(PERIOD) (log: $(AIRFLOW_HOME)/backfill-$(PERIOD).log) ..."
	@$(BIN)/airflow dags test $(DAG_ID) -c '{"period": "$(PERIOD)"}' > $(AIRFLOW_HOME)/backfill-$(PERIOD).log 2>&1 \
		|| { tail -n 40 $(AIRFLOW_HOME)/backfill-$(PERIOD).log; exit 1; }
	@grep -q "DagRun Finished: dag_id=$(DAG_ID).*state=success" $(AIRFLOW_HOME)/backfill-$(PERIOD).log \
		|| { echo "DAG run did not succeed; see $(AIRFLOW_HOME)/backfill-$(PERIOD).log" >&2; exit 1; }
	@$(BIN)/python -m pipeline report-path $(PERIOD)

## test: set up and run the test suite
test: setup system-deps
	$(BIN)/python -m pytest

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

airflow-db: $(AIRFLOW_HOME)/.migrated $(AIRFLOW_HOME)/.pool-intake $(AIRFLOW_HOME)/.pool-validation

$(AIRFLOW_HOME)/.migrated: $(VENV)/.installed
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || { tail -n 30 $(AIRFLOW_HOME)/migrate.log; exit 1; }
	touch $@

# The one-slot pool shared by the intake DAG's take_in and the periodic report's gather.
$(AIRFLOW_HOME)/.pool-intake: $(AIRFLOW_HOME)/.migrated
	$(BIN)/airflow pools set intake 1 "Tiếp nhận báo cáo: mỗi lúc chỉ một lượt quét thư mục nhận" \
		> $(AIRFLOW_HOME)/pool.log 2>&1 || { tail -n 30 $(AIRFLOW_HOME)/pool.log; exit 1; }
	touch $@

# At most two units' workbooks validated at once (memory on a small server).
$(AIRFLOW_HOME)/.pool-validation: $(AIRFLOW_HOME)/.migrated
	$(BIN)/airflow pools set validation 2 "Kiểm tra báo cáo của các đơn vị: tối đa hai tệp cùng lúc" \
		> $(AIRFLOW_HOME)/pool.log 2>&1 || { tail -n 30 $(AIRFLOW_HOME)/pool.log; exit 1; }
	touch $@

## up: run Airflow's services in the background (scheduler, DAG processor, triggerer, API server with the UI on
## http://127.0.0.1:$(AIRFLOW_API_PORT), a Celery worker), metadata and ledger on PostgreSQL, the services' own
## Redis as the broker (port $(AIRFLOW_REDIS_PORT), append-only); pid files, logs and the queue's file in
## .airflow-services/, UI login in .airflow-services/passwords.json
AIRFLOW_API_PORT ?= 8080
AIRFLOW_REDIS_PORT ?= 6390
AIRFLOW_DB_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/airflow
SERVICES_LEDGER_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/ledger
# One data root, one ledger: the services' PostgreSQL ledger gets a data root of its own (inbox/, archive/, work/,
# reports/ …), never the project folder that `make demo` and `make backfill` use with their SQLite ledger. A data
# root records its ledger on first use and refuses any other (docs/operations.md). PIPELINE_DATA_DIR, when set,
# is taken instead; services-cmd uses the same root as up.
SERVICES_DATA_DIR ?= $(or $(PIPELINE_DATA_DIR),$(CURDIR)/.airflow-services/data)
up: setup
	@AIRFLOW_API_PORT=$(AIRFLOW_API_PORT) PORTAL_PORT=$(PORTAL_PORT) AIRFLOW_REDIS_PORT=$(AIRFLOW_REDIS_PORT) AIRFLOW_DB_URL=$(AIRFLOW_DB_URL) \
		PIPELINE_LEDGER_URL=$(SERVICES_LEDGER_URL) PIPELINE_DATA_DIR="$(SERVICES_DATA_DIR)" $(BIN)/python -m ops.services up

## portal: the upload page for units on http://127.0.0.1:$(PORTAL_PORT) (the demo's data root and ledger; accounts:
## python -m pipeline accounts create --all-units 2023-6T); make up starts it with the services
PORTAL_PORT ?= 8090
portal: setup
	$(BIN)/python -m pipeline portal --host 127.0.0.1 --port $(PORTAL_PORT)

## services-cmd: run CMD with the services' environment (Airflow CLI on the PostgreSQL metadata, the PostgreSQL
## ledger, the services' data root), e.g.
## make services-cmd CMD="airflow backfill create --dag-id periodic_report --from-date 2023-01-01 ..."
services-cmd: setup
	@AIRFLOW_API_PORT=$(AIRFLOW_API_PORT) AIRFLOW_REDIS_PORT=$(AIRFLOW_REDIS_PORT) AIRFLOW_DB_URL=$(AIRFLOW_DB_URL) \
		PIPELINE_LEDGER_URL=$(SERVICES_LEDGER_URL) PIPELINE_DATA_DIR="$(SERVICES_DATA_DIR)" \
		$(BIN)/python -m ops.services exec $(CMD)

## down: stop what `make up` started (the processes named by the pid files in .airflow-services/pids/)
down:
	@AIRFLOW_REDIS_PORT=$(AIRFLOW_REDIS_PORT) $(BIN)/python -m ops.services down

## receive-samples: register samples/$(PERIOD)/ in the ledger as received by staff at $(SAMPLES_RECEIVED_AT)
receive-samples: setup
ifneq ($(SETUP),)
	@test -f "$(PIPELINE_CONFIG)" || { echo "No setup $(SETUP): $(PIPELINE_CONFIG) is missing" >&2; exit 2; }
	@test -d "$(SAMPLES_FOR)" || $(BIN)/python -m samples.generate --setup "$(PIPELINE_CONFIG)" --period $(PERIOD) \
		--out "$(SAMPLES_FOR)" > /dev/null
endif
	@test -d "$(SAMPLES_FOR)" || { echo "No sample submissions in $(SAMPLES_FOR)" >&2; exit 2; }
	mkdir -p "$(DATA_ROOT)/inbox/$(PERIOD)"
	@for f in "$(SAMPLES_FOR)"/*.xlsx; do \
		$(BIN)/python -m pipeline receive "$$f" --period $(PERIOD) --received-at "$(SAMPLES_RECEIVED_AT)" \
			--by "$(SAMPLES_RECEIVED_BY)" --note "$(SAMPLES_NOTE)" || exit 1; \
	done

## system-deps: LibreOffice Writer and Calc (PDF of the reports; the blank forms' printed pages), poppler-utils (the
## tests read the PDF's pages) and Chromium with its ChromeDriver (the services test's screenshot of the UI, the upload page's browser test through
## Selenium at /usr/bin/chromedriver: nothing is downloaded) from Debian's packages
system-deps:
	@{ command -v soffice && test -e /usr/lib/libreoffice/program/libsclo.so; } >/dev/null 2>&1 || { \
		echo "Installing LibreOffice Writer and Calc (Debian packages) ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			libreoffice-writer-nogui libreoffice-calc-nogui fonts-liberation >/dev/null; }
	@command -v pdftotext >/dev/null 2>&1 || { \
		echo "Installing poppler-utils (Debian packages) ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; }
	@{ command -v chromium && test -x /usr/bin/chromedriver; } >/dev/null 2>&1 || { \
		echo "Installing Chromium and its ChromeDriver (Debian packages) ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

## samples: regenerate samples/2023-6T, then samples/2023-9T and samples/2023-CN, from the seeded generator
samples: setup
	$(BIN)/python -m samples.generate
	$(BIN)/python -m samples.generate --variant year
	$(BIN)/python -m samples.generate --variant offices

## template: rebuild the blank submission workbooks, the communes' and the offices' (the report template is edited in
## Word or Writer)
template: setup
	$(BIN)/python -m pipeline template templates/mau_bao_cao_don_vi.xlsx
	$(BIN)/python -m pipeline template templates/mau_bao_cao_co_quan.xlsx --offices

## screenshots: refresh the pictures in docs/ — the status page and the technical view (python -m ops.screenshots:
## the bundled samples, opened offline in headless Chromium), the upload page at phone and desktop widths and the
## Airflow grid (their browser tests, which copy what they took into docs/; the grid's test starts the services).
## Tests alone write screenshots to their temporary folders only.
screenshots: setup system-deps
	$(BIN)/python -m ops.screenshots docs/
	PIPELINE_DOCS_SCREENSHOTS=$(CURDIR)/docs $(BIN)/python -m pytest -q -n0 -p no:cacheprovider \
		tests/e2e/test_portal_browser.py tests/e2e/test_services.py::test_grid_view_screenshot

## bench: the reader's benchmark: a workbook formatted down to row 50,000 against the plain sample
bench: setup
	$(BIN)/python -m benchmarks.read_stage

## lint: ruff (with Airflow's AIR rules) over the project, the import contracts, then the types (mypy)
lint: setup
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory lint-imports
	$(MAKE) --no-print-directory typecheck

## typecheck: mypy over pipeline/, dags/ and ops/ ([tool.mypy] in pyproject.toml)
typecheck: setup
	$(BIN)/mypy

## lint-imports: the import contracts of pipeline/ ([tool.importlinter] in pyproject.toml: layers of the steps,
## basics below them, no cycles); no cache, so nothing is written into the tree
lint-imports: setup
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf work reports inbox archive feedback .airflow .setups
