# The seed's targets, kept; plus `test` and `demo`. Every target installs what it needs.
SHELL := /bin/bash
N ?= 3
SCENARIO ?= scenarios/monolith/disk-full.yaml
PORT ?= 8888
PUDU_FLAGS ?=
# make install: PREFIX for the server, DESTDIR to stage (packaging, tests) without touching the host.
PREFIX ?= /opt/pudu
DESTDIR ?=

.PHONY: deps build build-puduc assets server serve scenario clean cleanup test test-unit demo typecheck lint install uninstall

deps:
	@scripts/deps.sh

build: deps
	@node scripts/build.mjs

build-puduc: deps
	@node scripts/build.mjs puduc

assets: build
	./pudu assets

server: build assets
	./pudu server --port $(PORT) $(PUDU_FLAGS)

serve: build assets
	./pudu run --count $(N) --port $(PORT) $(PUDU_FLAGS)

scenario: build assets
	./pudu demo --scenario $(SCENARIO) --port $(PORT) $(PUDU_FLAGS)

demo: scenario

typecheck: deps
	@npx tsc -p tsconfig.json
	@npx tsc -p packages/web/tsconfig.json
	@npx tsc -p test/web/tsconfig.json

lint: deps
	@npx eslint --max-warnings 0 .

test-unit: build typecheck lint
	@node scripts/test.mjs --unit

# The guest image is built (or found in the cache) once, before tests that boot VMs race for it.
test: build typecheck lint
	@./pudu assets
	@node scripts/test.mjs

clean:
	rm -rf dist pudu pudu-agent puduc/puduc test-artifacts

cleanup:
	@if [ -x ./pudu ]; then ./pudu cleanup; else echo "cleanup: ./pudu not built; run make build" >&2; exit 1; fi

# A systemd service (docs/operating.md); uninstall removes it and what the server left on the host.
install: build
	./pudu install --prefix $(PREFIX) $(if $(DESTDIR),--destdir $(DESTDIR)) $(PUDU_FLAGS)

uninstall:
	@if [ -x ./pudu ]; then ./pudu uninstall --prefix $(PREFIX) $(if $(DESTDIR),--destdir $(DESTDIR)) $(PUDU_FLAGS); else echo "uninstall: ./pudu not built; run make build" >&2; exit 1; fi
