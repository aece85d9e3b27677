# mssql2adb: SQL Server CDC → Kafka → AnalyticDB for PostgreSQL / PostgreSQL.
# `make demo` and `make test` are the two commands a new user runs first.

SHELL := /bin/bash
GO ?= go
BIN := bin
STACK_DIR ?= .devstack
PG_BIN ?= /usr/lib/postgresql/15/bin
TEST_TIMEOUT ?= 14m

PROGRAMS := producer consumer mssqlemu devstack demo

.PHONY: all build deps up down demo test test-short bench chaos fmt vet clean help

all: build

help:
	@echo "make demo   - install what is missing, start the embedded stack, run the sample sync, verify, stop"
	@echo "make test   - unit and end-to-end tests (race detector on)"
	@echo "make build  - bin/producer, bin/consumer, bin/mssqlemu, bin/devstack, bin/demo"
	@echo "make up     - start Kafka, schema registry, PostgreSQL and the SQL Server emulator; writes dev.env"
	@echo "make down   - stop everything 'make up' started"
	@echo "make bench  - benchmarks (throughput goals live here, never in tests)"
	@echo "make chaos  - the crash test alone, CHAOS_TRIALS trials (default 20), seed in CHAOS_SEED"

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

# chaos runs only the crash test, with more trials than make test's 6 and its
# summary printed: CHAOS_TRIALS=50 make chaos; CHAOS_SEED=<seed> reproduces a run.
CHAOS_TRIALS ?= 20
chaos:
	CHAOS_TRIALS=$(CHAOS_TRIALS) $(GO) test -race -count=1 -timeout 60m -run '^TestChaos$$' -v ./internal/e2e/

test-short:
	$(GO) test -short -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

clean:
	rm -rf $(BIN) $(STACK_DIR) dev.env
