#!/usr/bin/env bash
# Runs balie's whole test suite: unit, store conformance on SQLite and
# PostgreSQL, HTTP scenarios and browser tests in Chromium. On a fresh Debian
# machine, run as root (or with sudo available) so missing packages install.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
# fonts-liberation is only recommended by chromium; without any font the
# browser tests would lay out empty text.
command -v chromium >/dev/null 2>&1 || need+=(chromium fonts-liberation)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# The IMAP poller's tests start their own Dovecot (never the system service).
[ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "== starting a throwaway PostgreSQL"
BALIE_TEST_DATABASE_URL=$(bash scripts/pg-test-server.sh)
export BALIE_TEST_DATABASE_URL
export BALIE_CHROMIUM=${BALIE_CHROMIUM:-$(command -v chromium)}

echo "== go vet"
go vet ./...
echo "== go test -race (SQLite and PostgreSQL, browser tests in $BALIE_CHROMIUM)"
go test -race -count=1 -timeout 25m ./...
echo "== evaluations on the shared data sets (without -race, which slows training tenfold)"
# -v shows the measured figures; pipefail keeps go test's exit status.
go test -count=1 -timeout 10m -run 'TestRun' -v ./internal/eval/ 2>&1 | grep -vE '^=== (RUN|PAUSE|CONT)'
