#!/bin/sh
# pg-test-server.sh starts a throwaway local PostgreSQL for tests and prints
# its DSN, for use as BALIE_TEST_DATABASE_URL:
#
#   export BALIE_TEST_DATABASE_URL=$(scripts/pg-test-server.sh)
#   go test ./internal/store/postgres/...
#   scripts/pg-test-server.sh stop
#
# Usage: pg-test-server.sh [DIR]        start (default DIR ./.pgtest); idempotent
#        pg-test-server.sh stop [DIR]   stop
#
# Trust auth and fsync=off: fast, and only ever for test data. PGPORT picks the
# port (default 55432); PGBIN the server binaries.
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PGPORT:-55432}
DB=balie_test

cmd=start
if [ "${1:-}" = stop ] || [ "${1:-}" = start ]; then
	cmd=$1
	shift
fi
DIR=${1:-./.pgtest}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
DATA=$DIR/data
DSN="postgres://postgres@127.0.0.1:$PORT/$DB?sslmode=disable"

# initdb and postgres refuse to run as root: run them as the postgres user.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

if [ "$(id -u)" -eq 0 ]; then
	if ! id postgres >/dev/null 2>&1; then
		useradd --system --user-group --no-create-home --shell /bin/sh postgres
	fi
	chown -R postgres: "$DIR"
	# The user must be able to reach the directory.
	chmod o+x "$DIR"
fi

running() {
	[ -f "$DATA/PG_VERSION" ] && as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

case $cmd in
stop)
	if running; then
		as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
	fi
	exit 0
	;;
esac

if ! [ -f "$DATA/PG_VERSION" ]; then
	as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 \
		--locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 ||
		as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 \
			--no-locale >"$DIR/initdb.log" 2>&1 || {
		cat "$DIR/initdb.log" >&2
		exit 1
	}
fi

if ! running; then
	as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 30 \
		-o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null || {
		tail -n 20 "$DIR/server.log" >&2
		exit 1
	}
fi

exists=$(as_pg "$PGBIN/psql" -h "$DIR" -p "$PORT" -U postgres -d postgres -Atc \
	"SELECT 1 FROM pg_database WHERE datname = '$DB'")
if [ "$exists" != 1 ]; then
	as_pg "$PGBIN/createdb" -h "$DIR" -p "$PORT" -U postgres "$DB"
fi

echo "$DSN"
