# selfaudit build, test and local-run targets. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

FUNCTIONS := cloudtrail-anomaly-checker iam-wildcard-scanner dlq-replayer lambda-fleet-auditor pre-traffic-hook securityhub-exporter org-coordinator
GOFLAGS_LAMBDA := -trimpath -tags lambda.norpc -ldflags "-s -w"
BIN := bin
TOOLS := $(CURDIR)/.tools
GOTEST_FLAGS ?=
# Emulator-backed tests fail rather than skip when this is set.
export SELFAUDIT_REQUIRE_EMULATORS ?= 1

.PHONY: help build test audit invoke bench bench-replay bench-org lint tools validate clean fuzz selfaudit docs \
	$(addprefix build-,$(FUNCTIONS))

help: ## list targets
	@grep -E '^[a-zA-Z_%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# --- build ---------------------------------------------------------------

build: $(addprefix $(BIN)/,$(addsuffix /bootstrap,$(FUNCTIONS))) ## every function as bin/<name>/bootstrap for linux/arm64

$(BIN)/%/bootstrap: FORCE
	@mkdir -p $(dir $@)
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(GOFLAGS_LAMBDA) -o $@ ./functions/$*

FORCE:

# SAM's BuildMethod: makefile calls build-<LogicalId> with ARTIFACTS_DIR set.
define sam_target
build-$(1):
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(GOFLAGS_LAMBDA) -o $$(ARTIFACTS_DIR)/bootstrap ./functions/$(2)
endef
$(eval $(call sam_target,CloudTrailAnomalyChecker,cloudtrail-anomaly-checker))
$(eval $(call sam_target,IamWildcardScanner,iam-wildcard-scanner))
$(eval $(call sam_target,DlqReplayer,dlq-replayer))
$(eval $(call sam_target,LambdaFleetAuditor,lambda-fleet-auditor))
$(eval $(call sam_target,PreTrafficHook,pre-traffic-hook))
$(eval $(call sam_target,SecurityHubExporter,securityhub-exporter))
$(eval $(call sam_target,OrgCoordinator,org-coordinator))

selfaudit: ## the command-line tool as bin/selfaudit for this machine
	@mkdir -p $(BIN)
	go build -trimpath -o $(BIN)/selfaudit ./cmd/selfaudit

# --- run -----------------------------------------------------------------

audit: selfaudit ## offline self-audit of template.yaml and events/cloudtrail
	$(BIN)/selfaudit audit

# make invoke FN=iam-wildcard-scanner EVENT=events/iam-wildcard-scanner/scheduled.json
invoke: tools ## run FN's host build under aws-lambda-rie and post EVENT to it
	@test -n "$(FN)" || { echo "usage: make invoke FN=<function> EVENT=<file>"; exit 2; }
	@test -f "$(EVENT)" || { echo "make invoke: event file '$(EVENT)' not found"; exit 2; }
	SELFAUDIT_INVOKE_FN=$(FN) SELFAUDIT_INVOKE_EVENT=$(abspath $(EVENT)) \
	  .ci/emulators.sh run go test -v -count=1 -timeout 30m -run '^TestInvoke$$' ./shared/internal/invoke/

# --- quality -------------------------------------------------------------

tools: ## install the pinned emulators into .tools/
	.ci/tools.sh

test: tools ## start the emulators, run every test with -race, stop them
	.ci/emulators.sh run go test -race -count=1 -timeout 45m $(GOTEST_FLAGS) ./...

bench: tools ## run the benchmarks (figures quoted in README.md)
	.ci/emulators.sh run go test -run '^$$' -bench . -benchmem -count 6 ./... | tee bench.out

bench-replay: tools ## replay at 20 ms per SQS call: adaptive workers beside 8 fixed, 5 samples each
	.ci/emulators.sh run go test -run '^$$' -bench 'BenchmarkReplayLatency' -count 5 ./shared/replay/ | tee bench-replay.out

# ORG_ACCOUNTS, ORG_REGIONS, ORG_CONCURRENCY and ORG_THROTTLE (2 throttles
# twice as readily) change the simulated organisation; the last line is the figures.
bench-org: tools ## simulate an organisation audit (1,000 accounts x 4 regions) in-process (figures in README.md)
	set -o pipefail; ORG_BENCH=1 .ci/emulators.sh run go test -count=1 -timeout 20m -v -run '^TestBenchOrg$$' ./shared/orgaudit/ 2>&1 \
	  | grep --line-buffered -v '^ok\|^PASS\|^=== RUN\|^--- PASS'

fuzz: ## run each fuzz target for FUZZTIME (default 20s)
	@for p in $$(go list ./...); do \
	  for f in $$(go test -list '^Fuzz' $$p | grep '^Fuzz'); do \
	    go test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-20s} $$p || exit 1; \
	  done; \
	done

lint: ## gofmt, go vet and staticcheck (pinned)
	.ci/tools.sh lint
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	go vet ./...
	$(TOOLS)/bin/staticcheck ./...

docs: ## regenerate docs/checks.md and the ASFF writer's copy of the check registry
	@mkdir -p docs
	go run ./cmd/selfaudit checks --format markdown > docs/checks.md.tmp
	mv docs/checks.md.tmp docs/checks.md
	go test -count=1 -run '^TestCatalogIsCurrent$$' ./shared/findings/asff/ -args -update

validate: ## template and pipeline invariants, and sam validate --lint where SAM is installed
	go test -count=1 -run 'Template|Pipeline' ./shared/stackcheck/...
	@if command -v sam >/dev/null; then sam validate --lint; else echo "sam CLI not installed: skipped sam validate --lint"; fi

clean:
	rm -rf $(BIN) .aws-sam bench.out bench-replay.out
