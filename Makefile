# mssql2adb: SQL Server CDC → Kafka → AnalyticDB for PostgreSQL / PostgreSQL.
# `make demo` and `make test` are the two commands a new user runs first.

SHELL := /bin/bash
GO ?= go
BIN := bin
STACK_DIR ?= .devstack
PG_BIN ?= /usr/lib/postgresql/15/bin
TEST_TIMEOUT ?= 25m

PROGRAMS := producer consumer mssqlemu devstack demo

.PHONY: all build deps up down demo test test-short bench bench-micro chaos chaos-faults conformance fmt vet clean help

all: build

help:
	@echo "make demo   - install what is missing, start the embedded stack, run the sample sync, verify, stop"
	@echo "make test   - unit and end-to-end tests (race detector on)"
	@echo "make build  - bin/producer, bin/consumer, bin/mssqlemu, bin/devstack, bin/demo"
	@echo "make up     - start Kafka, schema registry, PostgreSQL and the SQL Server emulator; writes dev.env"
	@echo "make down   - stop everything 'make up' started"
	@echo "make bench  - throughput table: COPY ceiling, row-at-a-time baseline, producer, consumer, latency, 1-3 consumers, memory (BENCH_ROWS, default 1000000)"
	@echo "make bench-micro - the packages' Go benchmarks"
	@echo "make chaos  - the crash test, CHAOS_TRIALS trials (default 20), then make chaos-faults; seed in CHAOS_SEED"
	@echo "make chaos-faults - random network faults of SQL Server, the registry and the target for CHAOS_FAULTS_SECONDS (default 300)"
	@echo "make conformance - go-mssqldb's own integration suite against bin/mssqlemu (not in make test)"

# deps installs what a fresh Debian machine of this kind lacks: PostgreSQL's
# server binaries for the throwaway target, and the independent clients the
# interoperability tests use (FreeTDS tsql, pymssql, kcat, confluent-kafka, avro).
deps:
	@missing=""; \
	[ -x $(PG_BIN)/initdb ] || missing="$$missing postgresql"; \
	command -v tsql >/dev/null || missing="$$missing freetds-bin"; \
	command -v kcat >/dev/null || missing="$$missing kcat"; \
	/usr/bin/python3 -c 'import pymssql' 2>/dev/null || missing="$$missing python3-pymssql"; \
	/usr/bin/python3 -c 'import confluent_kafka' 2>/dev/null || missing="$$missing python3-confluent-kafka"; \
	/usr/bin/python3 -c 'import avro' 2>/dev/null || missing="$$missing python3-avro"; \
	/usr/bin/python3 -c 'import requests' 2>/dev/null || missing="$$missing python3-requests"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	$(GO) mod download

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/producer ./producer
	$(GO) build -o $(BIN)/consumer ./consumer
	$(GO) build -o $(BIN)/mssqlemu ./internal/cmd/mssqlemu
	$(GO) build -o $(BIN)/devstack ./internal/cmd/devstack
	$(GO) build -o $(BIN)/demo ./internal/cmd/demo

# up starts the embedded stack in the background and returns when dev.env is
# written. Variables already set (MSSQL_DSN, KAFKA_BROKERS, SCHEMA_REGISTRY_URL,
# TARGET_DSN) point the stack at real services instead of starting them.
up: build
	@$(BIN)/devstack up --dir $(STACK_DIR) --env-file dev.env

down:
	@if [ -x $(BIN)/devstack ]; then $(BIN)/devstack down --dir $(STACK_DIR) --env-file dev.env; \
	else echo "nothing to stop (bin/devstack is not built)"; fi

demo: deps build
	@$(BIN)/devstack up --dir $(STACK_DIR) --env-file dev.env
	@set -a; . ./dev.env; set +a; $(BIN)/demo --bin $(BIN); rc=$$?; \
	$(BIN)/devstack down --dir $(STACK_DIR) --env-file dev.env; exit $$rc

test:
	$(GO) vet ./...
	@rm -f .chaos-report
	CHAOS_REPORT=$(CURDIR)/.chaos-report $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...
	@cat .chaos-report 2>/dev/null || true

# chaos runs only the crash test, with more trials than make test's 4 and its
# summary printed: CHAOS_TRIALS=50 make chaos; CHAOS_SEED=<seed> reproduces a run.
CHAOS_TRIALS ?= 20
chaos:
	CHAOS_TRIALS=$(CHAOS_TRIALS) $(GO) test -race -count=1 -timeout 60m -run '^TestChaos$$' -v ./internal/e2e/
	@$(MAKE) --no-print-directory chaos-faults

# chaos-faults cuts, stalls and refuses SQL Server, the registry and the
# target at random under a live workload (make test runs 12 seconds of it);
# its summary counts faults by kind, outage and recovery times, events,
# applications and duplicates. CHAOS_SEED=<seed> reproduces a run.
CHAOS_FAULTS_SECONDS ?= 300
chaos-faults:
	CHAOS_FAULTS_SECONDS=$(CHAOS_FAULTS_SECONDS) $(GO) test -race -count=1 -timeout 60m -run '^TestChaosFaults$$' -v ./internal/e2e/

# conformance runs go-mssqldb's own integration suite, at the version in
# go.mod, against bin/mssqlemu: the yardstick of the emulator. It is slow and
# downloads the suite's test dependencies, so it is not part of make test.
# CONFORMANCE_RUN narrows it (a go test -run pattern). CONFORMANCE_SKIP lists
# the tests of features outside a CDC source's scope, each with its reason in
# the README ("The SQL Server emulator"). The log is left in .conformance.log.
CONFORMANCE_PORT ?= 14339
CONFORMANCE_RUN ?= .
CONFORMANCE_SKIP ?= Bulkcopy|BulkCopy|TVP|ColumnEncryption|AlwaysEncrypted|AccessToken|FedAuth|Azure|NamedPipe|SharedMemory|Kerberos|NTLM|TestLcidsFetching
conformance: build
	@set -e; \
	src=$$($(GO) list -m -f '{{.Dir}}' github.com/microsoft/go-mssqldb); \
	work=$$(mktemp -d); emu=""; \
	trap 'test -n "$$emu" && kill $$emu 2>/dev/null; rm -rf $$work' EXIT; \
	cp -r $$src/. $$work/; chmod -R u+w $$work; \
	$(BIN)/mssqlemu -addr 127.0.0.1:$(CONFORMANCE_PORT) -sa-password 'Conformance1!' >$$work/emu.log 2>&1 & emu=$$!; \
	sleep 1; \
	cd $$work; rc=0; \
	SQLSERVER_DSN='sqlserver://sa:Conformance1!@127.0.0.1:$(CONFORMANCE_PORT)?database=master&encrypt=disable' \
		$(GO) test -count=1 -timeout 20m -v -run '$(CONFORMANCE_RUN)' -skip '$(CONFORMANCE_SKIP)' . >$(CURDIR)/.conformance.log 2>&1 || rc=$$?; \
	grep -E '^--- FAIL' $(CURDIR)/.conformance.log || true; \
	echo "go-mssqldb suite against bin/mssqlemu: $$(grep -c '^--- PASS' $(CURDIR)/.conformance.log) passed, $$(grep -c '^--- FAIL' $(CURDIR)/.conformance.log) failed, $$(grep -c '^--- SKIP' $(CURDIR)/.conformance.log) skipped (log: .conformance.log)"; \
	exit $$rc

test-short:
	$(GO) test -short -count=1 ./...

# bench runs the throughput table of the README on the embedded stack:
# COPY ceiling, row-at-a-time baseline, producer and consumer, side by side
# for the same generated rows; BENCH_ROWS sets the size (1,000,000 by
# default), BENCH_BASELINE_ROWS the baseline's (100,000), BENCH_JSON where
# the table goes as JSON; BENCH_SNAPSHOT_ROWS, BENCH_LARGE_ROWS,
# BENCH_CONSUMERS, BENCH_LATENCY_RATE and BENCH_LATENCY_SECONDS are read by
# the bench itself. bench-micro runs the packages' Go benchmarks.
BENCH_ROWS ?= 1000000
BENCH_BASELINE_ROWS ?= 100000
BENCH_JSON ?= bench.json
bench:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/consumer ./consumer
	$(GO) build -o $(BIN)/producer ./producer
	$(GO) build -o $(BIN)/bench ./internal/cmd/bench
	$(BIN)/bench -rows $(BENCH_ROWS) -baseline-rows $(BENCH_BASELINE_ROWS) -consumer $(BIN)/consumer -producer $(BIN)/producer -json $(BENCH_JSON)

bench-micro:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

clean:
	rm -rf $(BIN) $(STACK_DIR) dev.env
