# labforge — `make demo` runs the main job end to end, `make test` runs the tests.
SHELL := /bin/bash
SWIFT ?= swift
PREFIX ?= /usr/local

# Every Debian package labforge, its tests, its demo and its benchmarks use.
DEB_PACKAGES := \
	pkg-config libguestfs-tools libguestfs-dev linux-image-amd64 libarchive-dev zlib1g-dev libzstd-dev libdeflate-dev libssl-dev \
	qemu-utils qemu-system-x86 ovmf mmdebstrap debian-archive-keyring dosfstools mtools xorriso \
	docker-registry skopeo umoci apache2-utils openssl pigz zstd xz-utils time \
	openssh-client chromium python3 curl bc websockify tigervnc-standalone-server tigervnc-tools util-linux fdisk e2fsprogs git tini iproute2 bubblewrap xauth \
	qemu-user-static binfmt-support qemu-system-arm qemu-efi-aarch64 busybox-static \
	xclip lrzsz x11-apps
# (xclip, lrzsz, x11-apps: tests only — the desktop proofs' X clipboard, sz's ZMODEM frames, xlogo on a test desktop.)

.PHONY: all deps build release install check test demo demo-container images bench clean

all: build

## deps: install the Debian packages above (idempotent, quiet when all are present)
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q '^install ok installed' || echo "$$p"; done); \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing" $$missing; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing >/dev/null; \
	fi
	@# arm64 images: mmdebstrap runs the arm64 tree's programs under qemu-user, handed over by binfmt_misc (its
	@# qemu-aarch64 handler, F flag). Enabled where this machine allows it; where it cannot (a container without
	@# binfmt_misc), one line says so and deps goes on: only arm64 bootstraps need it.
	@sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; binfmt=/proc/sys/fs/binfmt_misc; \
	[ -e $$binfmt/status ] || $$sudo mount -t binfmt_misc binfmt_misc $$binfmt >/dev/null 2>&1 || true; \
	head -n1 $$binfmt/qemu-aarch64 2>/dev/null | grep -qx enabled || $$sudo update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true; \
	head -n1 $$binfmt/qemu-aarch64 2>/dev/null | grep -qx enabled || \
		echo "make deps: binfmt_misc cannot run arm64 programs here (mount -t binfmt_misc binfmt_misc $$binfmt; update-binfmts --enable qemu-aarch64): arm64 bootstraps will fail"
	@# The deploy tests ask apt-cache whether the Containerfile's packages exist: package lists must be there.
	@ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || { sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; $$sudo apt-get update -q >/dev/null; }
	@python3 -c 'import jsonschema, referencing' 2>/dev/null || python3 -m pip install -q 'jsonschema>=4.18'
	@python3 -c 'import yaml' 2>/dev/null || python3 -m pip install -q pyyaml
	@python3 -c 'import cryptography' 2>/dev/null || python3 -m pip install -q cryptography
	@# oras and cosign (supply-chain tests) are not in Debian 12: Debian 13's pinned .debs, unpacked into .tools/.
	@bash scripts/peer-tools.sh

## build: debug build of the CLI and the tests, and the LabforgeRecipe library recipe files outside this tree link against.
## A compiler warning in labforge's own code (Sources/, Tests/, recipes/; dependencies aside) fails the build.
build:
	@log=$$(mktemp); { $(SWIFT) build --build-tests 2>&1; echo $$? > "$$log.status"; } | tee "$$log"; \
	status=$$(cat "$$log.status"); \
	warnings=$$(grep -E '^/[^ ]*/(Sources|Tests|recipes)/[^ ]*: warning:' "$$log" | grep -v '/\.build/' | sort -u); \
	rm -f "$$log" "$$log.status"; \
	[ "$$status" = 0 ] || exit "$$status"; \
	if [ -n "$$warnings" ]; then printf 'make build: labforge builds without compiler warnings; fix these:\n%s\n' "$$warnings" >&2; exit 1; fi
	$(SWIFT) build --product LabforgeRecipe

## release: optimized CLI at .build/release/labforge (and the LabforgeRecipe library it compiles recipes against)
release:
	$(SWIFT) build -c release --product labforge
	$(SWIFT) build -c release --product LabforgeRecipe

## install: labforge in PREFIX/bin; the LabforgeRecipe module and library recipe files compile against in
## PREFIX/lib/labforge; the shipped recipes (the examples) in PREFIX/share/labforge/recipes. DESTDIR is honoured.
INSTALL_CONFIGURATION ?= release
INSTALL_SWIFT_FLAGS ?= --static-swift-stdlib
install:
	$(SWIFT) build -c $(INSTALL_CONFIGURATION) $(INSTALL_SWIFT_FLAGS) --product labforge
	$(SWIFT) build -c $(INSTALL_CONFIGURATION) $(INSTALL_SWIFT_FLAGS) --product LabforgeRecipe
	@set -e; bin=$$($(SWIFT) build -c $(INSTALL_CONFIGURATION) --show-bin-path); dest="$(DESTDIR)$(PREFIX)"; \
	install -D -m 0755 "$$bin/labforge" "$$dest/bin/labforge"; \
	install -d -m 0755 "$$dest/lib/labforge" "$$dest/share/labforge/recipes"; \
	for module in LabforgeRecipe Naming; do install -m 0644 "$$bin/Modules/$$module.swiftmodule" "$$dest/lib/labforge/"; done; \
	install -m 0644 "$$bin/libLabforgeRecipe.a" "$$dest/lib/labforge/"; \
	install -m 0644 recipes/*.swift "$$dest/share/labforge/recipes/"; \
	echo "installed $$dest/bin/labforge, $$dest/lib/labforge (LabforgeRecipe), $$dest/share/labforge/recipes"

## check: the fast tier — unit tests and integration tests with real tools, no VM (tests marked .bootsVM are skipped)
check: deps build
	LABFORGE_TEST_TIER=check $(SWIFT) test --skip-build

## test: every test tier (unit, integration with real libguestfs/libarchive/registry, end to end)
test: deps build
	$(SWIFT) test --skip-build

## demo: the main job end to end on the built-in default (debug build, shared with the tests)
demo: deps build
	bash scripts/demo.sh

## demo-container: the pod lab of debian-desktop end to end: container image, verify --image, push to a local registry
demo-container: deps build
	bash scripts/demo-container.sh

## images: build every shipped recipe with the release binary (BUILD_ARGS='--push REGISTRY/PREFIX --jobs 2' …)
images: deps release
	.build/release/labforge build $(BUILD_ARGS)

## bench: benchmarks against peer tools, measured in the same run
bench: deps release
	@set -e; for b in bench/*.sh; do echo "== $$b"; bash "$$b"; done

clean:
	rm -rf .build
