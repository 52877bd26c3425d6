# balie's front door. CI runs `make test` through .ci/run.
GO ?= go
BIN := bin/balie

.PHONY: build run demo test test-sqlite test-postgres lint bench eval clean

build:
	$(GO) build -o $(BIN) ./cmd/balie

run:
	$(GO) run ./cmd/balie serve

demo:
	$(GO) run ./cmd/balie demo

# The whole suite: installs PostgreSQL and Chromium when missing (as root),
# starts a throwaway PostgreSQL, runs every test with -race on SQLite and
# PostgreSQL, including the browser tests.
test:
	bash scripts/test.sh

# Only the embedded default (no PostgreSQL, no browser needed).
test-sqlite:
	$(GO) test -race -count=1 ./...

# Only the PostgreSQL store conformance suite, against a throwaway server.
test-postgres:
	BALIE_TEST_DATABASE_URL=$$(bash scripts/pg-test-server.sh) $(GO) test -race -count=1 ./internal/store/...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# Go micro-benchmarks of the hot paths. The load generator is `balie bench`
# (see docs/benchmarks.md).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/lang/ ./internal/store/sqlite/

# Search and intent-classification figures on the public data in ../shared/data.
eval:
	$(GO) run ./cmd/balie eval faq --feedback
	$(GO) run ./cmd/balie eval intent

clean:
	rm -rf bin .pgtest
