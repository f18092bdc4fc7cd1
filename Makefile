# SPDX-License-Identifier: MIT
# Entry points. The build itself is CMake; this file only names the steps
# (install packages, configure, build, run) so one command does all of them.

RELEASE_DIR := build/release
DEMO_CONFIG := examples/demo/app-config.yaml

.PHONY: all deps build run check bench fuzz clean

all: build

deps:
	./scripts/install-deps.sh

build: deps
	cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGR_BUILD_TESTS=OFF >/dev/null
	cmake --build $(RELEASE_DIR) -j $$(nproc)

# The demo accepts API calls with a static token. Without one in the
# environment, a random token is made for this run and printed.
run: build
	@token="$${GREENROOM_DEMO_TOKEN:-$$(openssl rand -hex 16)}"; \
	echo "demo API token: $$token  (curl -H 'Authorization: Bearer $$token' ...)"; \
	GREENROOM_DEMO_TOKEN="$$token" $(RELEASE_DIR)/greenroom serve --config $(DEMO_CONFIG)

check: deps
	./scripts/check.sh

bench: build
	./bench/run-all.sh

fuzz: deps
	./scripts/fuzz.sh

clean:
	rm -rf build
