# cxloop: build, test and run the functions locally, deploy with SAM.
# `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO        ?= go
STATE_DIR := $(or $(CXLOOP_STATE_DIR),.local)
CXLOCAL   := bin/cxlocal
# The flags every bootstrap is built with, locally and by `sam build` (docs/CONTRACTS.md 2).
COMMA     := ,
GOBUILD   := CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w'

# Short fuzz runs of `make test`: append `<package dir>:<FuzzName>` entries, e.g.
# FUZZ_TARGETS += shared/token:FuzzParse
FUZZ_TARGETS := shared/token:FuzzVerify shared/catalog:FuzzLoad
FUZZ_TARGETS += functions/survey:FuzzDecodeForm
# Count budgets, not durations: under load a duration-bounded run can fail with a bare
# "context deadline exceeded" from the fuzz coordinator (golang/go#75804).
FUZZ_TIME    ?= 20000x

.PHONY: help catalog build $(CXLOCAL) up down test test-deps demo invoke lint bench soak deploy ops-token scores score-now screenshots

help: ## list the targets
	@grep -hE '^[a-z%-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

catalog: ## validate surveys.yaml (every problem with its line and key) and compile it into the functions (shared/catalog/shipped.go)
	@$(GO) generate ./shared/catalog

build: catalog $(CXLOCAL) ## bin/<LogicalId>/bootstrap for every function with a main.go (host architecture, local tags)
	@$(CXLOCAL) functions | while read -r id dir; do \
		echo "build $$id ($$dir)"; \
		$(subst lambda.norpc,lambda.norpc$(COMMA)cxloop.local,$(GOBUILD)) -o bin/$$id/bootstrap ./$$dir; \
	done

# One rule serves every function for `sam build` (BuildMethod: makefile): build-TouchpointFunction
# builds ./functions/touchpoint for arm64 into $(ARTIFACTS_DIR). Same naming rule as
# infra/local/samtemplate (Function.Dir).
build-%:
	GOOS=linux GOARCH=arm64 $(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(shell echo '$*' | sed 's/Function$$//' | tr '[:upper:]' '[:lower:]')

$(CXLOCAL):
	@echo "building the local tools ($@; a few seconds, longer the first time)"
	@$(GO) build -o $@ ./infra/cmd/cxlocal

up: catalog $(CXLOCAL) ## start the local stack in the background; writes .local/env (ports: CXLOOP_{DDB,SES,API}_PORT)
	@$(CXLOCAL) up

down: $(CXLOCAL) ## stop what `make up` started
	@$(CXLOCAL) down

test-deps: ## install what the tests need (npm packages, Debian chromium)
	@# npm ci again whenever package-lock.json changed since the last install (a stamp of it is kept).
	@if ! cmp -s infra/package-lock.json infra/node_modules/.cxloop-installed-lock; then \
		(cd infra && npm ci --no-audit --no-fund) && cp infra/package-lock.json infra/node_modules/.cxloop-installed-lock; fi
	@if [ ! -x /usr/bin/chromium ]; then \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; fi

# Runs against a stack of its own: started here and stopped on exit (failure and interrupt
# included) unless one was already running, which is then reused and left running.
test: test-deps $(CXLOCAL) ## unit, integration and browser tests plus short fuzz runs, on a local stack
	@if ! $(CXLOCAL) status >/dev/null 2>&1; then \
		trap '$(CXLOCAL) down' EXIT; \
		$(CXLOCAL) up; \
	fi; \
	set -a; . $(STATE_DIR)/env; set +a; \
	$(GO) test ./... -count=1 -timeout 20m; \
	for target in $(FUZZ_TARGETS); do \
		pkg=$${target%%:*}; name=$${target#*:}; \
		echo "fuzz $$name in ./$$pkg for $(FUZZ_TIME)"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZ_TIME) -fuzzminimizetime=1x ./$$pkg; \
	done

# Starts the stack unless one runs; a stack it started is stopped again on Ctrl-C.
demo: catalog $(CXLOCAL) ## start everything, send a sample touchpoint, print the survey link; serve until Ctrl-C
	@if ! $(CXLOCAL) status >/dev/null 2>&1; then \
		trap '$(CXLOCAL) down' EXIT; \
		$(CXLOCAL) up; \
	fi; \
	$(CXLOCAL) demo

invoke: $(CXLOCAL) ## run one function's real bootstrap locally: make invoke FN=<LogicalId> EVENT=events/<file>.json
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<LogicalId> EVENT=events/<file>.json" >&2; exit 2; }
	@$(CXLOCAL) invoke $(if $(N),-n $(N)) $(FN) $(EVENT)

lint: ## gofmt, go vet, no tracked file over 512 KB, and sam validate (the SAM transform) and --lint when SAM CLI is installed
	@# Binaries and generated data stay out of git: a build output committed once stays in history.
	@big=$$(git ls-files -z 2>/dev/null | xargs -0 -r du -k 2>/dev/null | awk '$$1 > 512 {print $$2}'); \
	if [ -n "$$big" ]; then echo "tracked files over 512 KB (build outputs? data a script can make?):"; echo "$$big"; exit 1; fi
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './infra/node_modules/*' -not -path './.aws-sam/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@# Plain validate runs SAM's transform (it refuses what cfn-lint lets through, such as a
	@# DeadLetterConfig with both Type and Arn); --lint runs cfn-lint on the result.
	@if command -v sam >/dev/null; then sam validate --region $(SAM_REGION) && sam validate --lint; else echo "sam not installed: skipping sam validate"; fi

bench: test-deps $(CXLOCAL) ## the performance and cost report: writes docs/PERFORMANCE.md and its SVG chart
	@if ! $(CXLOCAL) status >/dev/null 2>&1; then \
		trap '$(CXLOCAL) down' EXIT; \
		$(CXLOCAL) up; \
	fi; \
	set -a; . $(STATE_DIR)/env; set +a; \
	$(GO) run ./infra/bench

soak: test-deps $(CXLOCAL) ## the long fault suite: 2,000 touchpoints under 10% injected faults (docs/RELIABILITY.md)
	@if ! $(CXLOCAL) status >/dev/null 2>&1; then \
		trap '$(CXLOCAL) down' EXIT; \
		$(CXLOCAL) up; \
	fi; \
	set -a; . $(STATE_DIR)/env; set +a; \
	$(GO) test -tags soak -count=1 -timeout 90m -run '^TestFault' -v ./infra/e2e/

screenshots: test-deps $(CXLOCAL) ## photograph every console page at 390 and 1280 px into docs/screenshots (docs/OPERATIONS.md)
	@if ! $(CXLOCAL) status >/dev/null 2>&1; then \
		trap '$(CXLOCAL) down' EXIT; \
		$(CXLOCAL) up; \
	fi; \
	set -a; . $(STATE_DIR)/env; set +a; \
	rm -f docs/screenshots/console-*.jpg; \
	CXLOOP_SCREENSHOTS=docs/screenshots $(GO) test -count=1 -timeout 15m -run '^TestEveryConsolePageFitsAPhoneAndADesktop$$' ./infra/e2e/ && \
	ls -l docs/screenshots/

# The first run asks its questions (sam deploy --guided) and saves the answers to samconfig.toml;
# every later run is unattended: no prompt, no changeset confirmation, and nothing to deploy is
# not an error. SAM_CONFIG_ENV picks a section of samconfig.toml (one per stage).
SAM            ?= sam
SAM_CONFIG     ?= samconfig.toml
SAM_CONFIG_ENV ?= default
SAM_REGION     ?= $(or $(AWS_REGION),$(AWS_DEFAULT_REGION),us-east-1)
deploy: catalog ## validate, build and deploy to AWS (guided the first time, unattended once samconfig.toml exists)
	$(SAM) validate --region $(SAM_REGION)
	$(SAM) validate --lint
	$(SAM) build --build-in-source
	@if [ -f "$(SAM_CONFIG)" ]; then \
		echo "sam deploy --config-env $(SAM_CONFIG_ENV) ($(SAM_CONFIG))"; \
		$(SAM) deploy --config-file "$(abspath $(SAM_CONFIG))" --config-env $(SAM_CONFIG_ENV) --no-confirm-changeset --no-fail-on-empty-changeset; \
	else \
		$(SAM) deploy --guided --config-file "$(abspath $(SAM_CONFIG))" --config-env $(SAM_CONFIG_ENV) --capabilities CAPABILITY_IAM; \
	fi

ops-token: $(CXLOCAL) ## print a new local API token: make ops-token ROLE=agent
	@$(CXLOCAL) token $(or $(ROLE),viewer)

scores: ## print the local scores
	@$(GO) run ./infra/cmd/scores

.PHONY: whatif
whatif: ## replay the local table's decisions against an edited catalog: make whatif CATALOG=edited.yaml [SINCE=30d]
	@test -n "$(CATALOG)" || { echo "usage: make whatif CATALOG=path/to/edited.yaml [SINCE=30d]" >&2; exit 2; }
	@test -f $(STATE_DIR)/env || { echo "no local stack: run make up first" >&2; exit 1; }
	@set -a; . $(STATE_DIR)/env; set +a; \
	$(GO) run ./infra/cmd/cxloop -table "$$TABLE_NAME" whatif -catalog "$(CATALOG)" -since $(or $(SINCE),30d) \
		-csv $(STATE_DIR)/whatif.csv -svg $(STATE_DIR)/whatif.svg

score-now: $(CXLOCAL) ## run ScoreFunction now on the running local stack, then print the scores
	@$(CXLOCAL) tick ScoreFunction
	@$(GO) run ./infra/cmd/scores
