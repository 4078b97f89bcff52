# berth — see README.md. Every target is safe to run from a clean clone.

# bash with pipefail: a test piped through grep must still fail the target.
SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c

GO       ?= go
BIN      ?= bin/berth
# FUZZTIME overrides every fuzz target's budget in 'make fuzz' (a duration
# such as 60s, or a count such as 1000000x). By default each target runs a
# fixed number of inputs, about 10 s on the 2-core CI machine: a duration
# can fail with "context deadline exceeded" when it expires while a worker
# is busy, a bug of Go 1.26's fuzz coordinator (go.dev/issue/75804, fixed
# in Go 1.27) that a count never meets.
FUZZTIME ?=
fuzzbudget = $(if $(FUZZTIME),$(FUZZTIME),$(1))
# STATICCHECK is pinned so that lint results do not change under us.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build dev docker test lint unit e2e chaos chaos-ci fuzz generate bench-api bench-tasks bench-placement bench-services clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/berth

# The embedded default: server, embedded etcd and one local agent on
# 127.0.0.1:4040, running tasks on the local Docker Engine.
dev: docker
	$(GO) run ./cmd/berth dev

# Docker Engine running and the local test image built; installs Debian's
# docker.io when missing (needs root then).
docker:
	bash scripts/ensure-docker.sh

# Everything CI runs: lint, all tests, short fuzz runs, the fault suite's
# bounded subset.
test: lint docker unit fuzz chaos-ci

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags chaos ./test/chaos/
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags chaos ./test/chaos/

# Unit, integration and end-to-end tests (real server, real etcd, real
# agents on Docker Engine, aws-sdk-go-v2 and the AWS CLI).
unit: docker
	$(GO) test -race -count=1 -timeout 20m ./...

e2e: docker
	$(GO) test -count=1 -timeout 20m ./test/e2e/...

# The fault suite (test/chaos, docs/reliability.md): every scenario at full
# size, one at a time; tens of minutes. Each measured figure is a line
# "FIGURE <scenario> key=value ...".
CHAOS_FLAGS ?=
chaos: docker
	$(GO) test -tags chaos -count=1 -p 1 -timeout 60m -v $(CHAOS_FLAGS) ./test/chaos/ | tee /tmp/berth-chaos.log | grep -E '^(---|FAIL|ok|PASS)|FIGURE|\.go:[0-9]+:'

# The same scenarios at the sizes CI affords (-short): a few minutes.
chaos-ci: docker
	$(GO) test -tags chaos -short -count=1 -p 1 -timeout 20m -v ./test/chaos/ | grep -E '^(---|FAIL|ok|PASS)|FIGURE|\.go:[0-9]+:'

# Bounded runs of every fuzz target.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(call fuzzbudget,100000x) ./internal/awsjson/
	$(GO) test -run '^$$' -fuzz '^FuzzParseAuthorization$$' -fuzztime $(call fuzzbudget,100000x) ./internal/awsjson/
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(call fuzzbudget,50000x) ./internal/awsjson/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(call fuzzbudget,1000000x) ./internal/arn/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(call fuzzbudget,500000x) ./internal/scheduler/query/
	$(GO) test -run '^$$' -fuzz '^FuzzActions$$' -fuzztime $(call fuzzbudget,100000x) ./internal/api/ecsapi/
	$(GO) test -run '^$$' -fuzz '^FuzzUnmarshalAgreesWithEncodingJSON$$' -fuzztime $(call fuzzbudget,200000x) ./internal/jsondecode/

# Regenerate internal/wire from the botocore ECS model (needs python3 with botocore).
generate:
	$(GO) generate ./internal/wire/

# API throughput and latency against a real server; last line: RESULT ...
# Flags go in BENCH_API_FLAGS, e.g. BENCH_API_FLAGS='-duration 10s -only describe-.*'.
BENCH_API_FLAGS ?=
bench-api:
	$(GO) run ./bench/api $(BENCH_API_FLAGS)

# Task start latency and agent memory vs raw docker run; last line: RESULT ...
BENCH_TASKS_FLAGS ?=
bench-tasks: docker
	$(GO) run ./bench/tasks $(BENCH_TASKS_FLAGS)

# The service scheduler vs Docker Swarm on the same engine: CreateService of
# 100 tasks on 3 agents and a 100-task rolling update; last line: RESULT ...
# e.g. BENCH_SERVICES_FLAGS='-only swarm' (no berth services needed) or '-rounds 2'.
BENCH_SERVICES_FLAGS ?=
bench-services: docker
	$(GO) run ./bench/services $(BENCH_SERVICES_FLAGS)

# The placement engine alone: 5,000 instances, 100,000 tasks; last line: RESULT ...
bench-placement:
	$(GO) run ./bench/placement $(BENCH_PLACEMENT_FLAGS)

clean:
	rm -rf bin
