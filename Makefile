# cpu_flags: Ansible collection whose modules are Go binaries.
# `make demo` and `make test` each set up what they need on a fresh machine.

SHELL        := /bin/bash
GO           ?= go
VENV         ?= .venv
PY           := $(VENV)/bin
COLL_ROOT    := $(CURDIR)/.ansible/collections
COLL_LINK    := $(COLL_ROOT)/ansible_collections/kvm_migration/cpu_flags
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export ANSIBLE_ROLES_PATH       := $(CURDIR)/roles
export ANSIBLE_LOCALHOST_WARNING := false
export ANSIBLE_INVENTORY_UNPARSED_WARNING := false

LDFLAGS      := -s -w
GOBUILD      := CGO_ENABLED=0 $(GO) build -trimpath -ldflags='$(LDFLAGS)'

# Hypervisor-side modules run on linux/amd64 hypervisors; controller-side
# modules (used with delegate_to: localhost) also run where the controller
# runs: AWX execution environments (linux amd64/arm64) and macOS laptops.
HV_MODULES   := nova_cpu_flag_probe
CTL_MODULES  := cpu_flags_facts cpu_flags_common
CTL_PLATFORMS := linux_amd64 linux_arm64 darwin_arm64
MODULE_BINS  := $(foreach m,$(HV_MODULES),plugins/bin/$(m)_linux_amd64) \
                $(foreach m,$(CTL_MODULES),$(foreach p,$(CTL_PLATFORMS),plugins/bin/$(m)_$(p)))
# The go-plugin host (gRPC inside, ~12 MB) is not a module: the role copies it
# to a hypervisor once, only when an external prober is configured.
HELPER_BINS  := plugins/bin/cpuflags-prober-host_linux_amd64
GO_SOURCES   := $(shell find cmd internal sdk -name '*.go' -not -name '*_test.go' 2>/dev/null) go.mod go.sum
# Every platform a binary ships for (the module binaries above, bin/cpuflags
# on the controller): `go build ./...` must pass on each.
GO_PLATFORMS := linux/amd64 linux/arm64 darwin/arm64
# Go tools, installed from the Go module proxy into .tools/ (one directory a
# version, so a version bump installs afresh).
STATICCHECK_VERSION := v0.8.2
STATICCHECK  := $(CURDIR)/.tools/staticcheck-$(STATICCHECK_VERSION)/staticcheck

.PHONY: all build modules cli venv collection-link generate test test-go test-ansible lint \
        sanity demo bench fuzz collection clean test-nova rig-up rig-down sizes bench-nova test-molecule \
        host-setup test-migration prober-host test-two-hosts lint-go cross-build

all: build

build: modules cli ## build every module binary and bin/cpuflags

modules: $(MODULE_BINS) $(HELPER_BINS) collection-link
	@mkdir -p plugins/modules/bin
	@for f in $(MODULE_BINS); do b=$$(basename $$f); ln -sfn ../../bin/$$b plugins/modules/bin/$$b; done

plugins/bin/%: $(GO_SOURCES)
	@mkdir -p plugins/bin
	@name=$*; plat=$${name##*_}; rest=$${name%_*}; os=$${rest##*_}; mod=$${rest%_*}; \
	  echo "go build $$mod for $$os/$$plat"; \
	  GOOS=$$os GOARCH=$$plat $(GOBUILD) -o $@ ./cmd/$$mod && \
	  sha256sum $@ | cut -d' ' -f1 > $@.sha256

plugins/bin/cpuflags-prober-host_linux_amd64: $(GO_SOURCES)
	@mkdir -p plugins/bin
	GOOS=linux GOARCH=amd64 $(GOBUILD) -o $@ ./cmd/cpuflags-prober-host

prober-host: plugins/bin/cpuflags-prober-host_linux_amd64 ## the go-plugin host for external probers (not in the Galaxy artifact)

sizes: build ## print the size of every binary
	@ls -l plugins/bin/ bin/ | awk 'NF>5 {printf "%-45s %6.1f MB\n", $$NF, $$5/1048576}'

bench-nova: build ## restarts and wall time per probe strategy on the nova rig
	NOVA_PROBE_BIN=$(CURDIR)/plugins/bin/nova_cpu_flag_probe_linux_amd64 bash tests/nova/bench.sh

cli: bin/cpuflags

bin/cpuflags: $(GO_SOURCES)
	@mkdir -p bin
	$(GOBUILD) -o $@ ./cmd/cpuflags

collection-link:
	@mkdir -p $(dir $(COLL_LINK))
	@ln -sfn $(CURDIR) $(COLL_LINK)

venv: $(VENV)/.done

$(VENV)/.done: requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY)/pip install -q --upgrade pip
	$(PY)/pip install -q -r requirements-dev.txt
	@touch $@

generate:
	$(GO) generate ./...

test: host-setup test-go test-ansible test-molecule test-migration ## the README's test command

host-setup: ## Debian packages the tests use, and a running libvirtd (idempotent)
	bash tests/setup-host.sh
	bash tests/libvirt-up.sh >/dev/null

test-migration: build ## real QEMU live migrations over loopback, with the computed CPU definition
	CPUFLAGS_BIN=$(CURDIR)/bin/cpuflags bash tests/migration/run.sh
	CPUFLAGS_BIN=$(CURDIR)/bin/cpuflags bash tests/migration/e2e.sh

test-go: lint-go cross-build
	$(GO) test -race -short -count=1 ./...
	cd examples/prober && $(GO) test -race -count=1 ./...
	@# -short skips most of the 11,480 sample pairs and triples under -race; run them all without it.
	$(GO) test -count=1 ./internal/baseline

lint-go: $(STATICCHECK) ## gofmt, go vet and staticcheck on every package
	@test -z "$$(gofmt -l cmd internal sdk examples)" || { echo "gofmt needed:"; gofmt -l cmd internal sdk examples; exit 1; }
	$(GO) vet ./...
	$(STATICCHECK) ./...
	@# The example prober is a Go module of its own (against the public SDK in sdk/).
	cd examples/prober && $(GO) vet ./... && $(STATICCHECK) ./...

$(STATICCHECK):
	GOBIN=$(dir $@) GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

cross-build: ## go build ./... for every platform a binary ships for
	@for p in $(GO_PLATFORMS); do echo "go build ./... for $$p"; \
	  GOOS=$${p%/*} GOARCH=$${p#*/} CGO_ENABLED=0 $(GO) build -o /dev/null ./... || exit 1; done

test-ansible: build venv
	bash tests/integration/run.sh

test-molecule: build venv ## molecule scenario default (gather, baseline, rollout in check mode, verify)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY)/molecule test -s default

sanity: venv ## ansible-test sanity on the collection's files (as in the artifact)
	bash tests/sanity.sh

lint: build venv
	ANSIBLE_COLLECTIONS_PATH=$(COLL_ROOT):$$(bash tests/awx/fetch-collection.sh) $(PY)/ansible-lint --profile production

demo: build venv ## the main job on the embedded demo inventory
	@bash tests/demo.sh

bench: build
	bash tests/bench.sh

fuzz:
	bash tests/fuzz.sh

collection: build venv
	@mkdir -p collection/dist
	$(PY)/ansible-galaxy collection build --force --output-path collection/dist .

test-nova: build venv
	bash tests/rig/nova-rig.sh install
	bash tests/rig/nova-rig.sh up || { rc=$$?; bash tests/rig/nova-rig.sh down; exit $$rc; }
	bash tests/nova/run.sh; rc=$$?; bash tests/rig/nova-rig.sh down; exit $$rc

test-two-hosts: build venv ## two libvirt hosts on this machine: a real guest, its flags, virsh and Nova live migration
	bash tests/twohosts/run.sh

clean:
	rm -rf bin plugins/bin plugins/modules/bin collection/dist tests/output
