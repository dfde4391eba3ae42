#!/usr/bin/env bash
# Starts, stops and reports on a private, throwaway PostgreSQL 15 server (Debian's `postgresql`
# package), the oracle that the SQL logic tests' expected results come from. One cluster per port
# lives in /tmp/reef-pg15-<port>: trust authentication, a unix socket in that directory and TCP on
# 127.0.0.1:<port>, fsync off, C locale, UTF8, TimeZone UTC, DateStyle ISO, MDY, English messages.
# PostgreSQL refuses to run as root, so when run as root the server runs as the `postgres` user.
# `stop` removes the cluster's directory: every `start` begins with an empty cluster.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/pg15.sh start|stop|status [PORT]
       scripts/pg15.sh --help

A private PostgreSQL 15 server for ReefDB's SQL logic tests (the oracle for expected results).

  start [PORT]   create a fresh cluster in /tmp/reef-pg15-PORT and start it (does nothing when it
                 is already running); prints how to connect
  stop [PORT]    stop the server and delete its directory (does nothing when it is not running)
  status [PORT]  exit 0 and print the connection details when running, exit 3 when not

PORT defaults to 55432. The server listens on 127.0.0.1:PORT and on a unix socket in
/tmp/reef-pg15-PORT, user postgres, trust authentication (no password), database postgres.
Settings: fsync off, locale C, encoding UTF8, TimeZone UTC, DateStyle 'ISO, MDY', lc_messages C.

Needs Debian's PostgreSQL 15: apt-get install postgresql
(REEF_PG_BINDIR overrides where its programs are looked for: /usr/lib/postgresql/15/bin.)
EOF
}

fail() {
  echo "pg15.sh: $*" >&2
  exit 1
}

command_name=${1:-}
case "$command_name" in
  -h | --help | help)
    usage
    exit 0
    ;;
  start | stop | status) ;;
  '')
    usage >&2
    exit 2
    ;;
  *)
    echo "pg15.sh: unknown command '$command_name'" >&2
    usage >&2
    exit 2
    ;;
esac
if [ $# -gt 2 ]; then
  usage >&2
  exit 2
fi

port=${2:-55432}
if ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -lt 1024 ] || [ "$port" -gt 65535 ]; then
  fail "PORT must be a number from 1024 to 65535, not '$port'"
fi

bindir=${REEF_PG_BINDIR:-/usr/lib/postgresql/15/bin}
if [ ! -x "$bindir/pg_ctl" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/postgres" ]; then
  fail "PostgreSQL 15 is not installed (no $bindir/pg_ctl). Install it with: apt-get install postgresql"
fi
version=$("$bindir/postgres" --version)
case "$version" in
  *" 15."*) ;;
  *) fail "expected PostgreSQL 15 in $bindir, found: $version (apt-get install postgresql on Debian 12)" ;;
esac

dir=/tmp/reef-pg15-$port
data=$dir/data
log=$dir/server.log

# As root, every PostgreSQL program runs as the postgres user, from a directory it may read. None
# inherits the lock's descriptor (9): a server holding it would block every later command.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || fail "no 'postgres' user to run the server as. Install PostgreSQL with: apt-get install postgresql"
  as_server_user() { (cd / && runuser -u postgres -- "$@" 9>&-); }
else
  as_server_user() { "$@" 9>&-; }
fi

# Two commands for the same port never interleave (tests may start the server concurrently).
lock=/tmp/reef-pg15-$port.lock
exec 9>>"$lock"
flock -w 120 9 || fail "timed out waiting for another pg15.sh on port $port (lock $lock)"

is_running() {
  [ -f "$data/PG_VERSION" ] && as_server_user "$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1
}

print_connection() {
  echo "PostgreSQL 15 is running on port $port (data $data, log $log)"
  echo "  psql -h $dir -p $port -U postgres postgres"
  echo "  postgres://postgres@127.0.0.1:$port/postgres"
}

start() {
  if is_running; then
    echo "already running"
    print_connection
    return 0
  fi
  # Whatever is left of a cluster that is not running (a crash, a reboot) is thrown away.
  rm -rf "$dir"
  as_server_user mkdir -m 0700 "$dir"
  if ! as_server_user "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C \
    --no-sync --no-instructions >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    fail "initdb failed (output above)"
  fi
  as_server_user tee -a "$data/postgresql.conf" >/dev/null <<EOF

# Written by scripts/pg15.sh: a private, throwaway server for ReefDB's SQL logic tests.
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 50
timezone = 'UTC'
log_timezone = 'UTC'
datestyle = 'iso, mdy'
intervalstyle = 'postgres'
lc_messages = 'C'
EOF
  if ! as_server_user "$bindir/pg_ctl" start -D "$data" -l "$log" -w -t 60 >/dev/null; then
    echo "--- $log" >&2
    tail -n 20 "$log" >&2 || true
    fail "PostgreSQL failed to start on port $port (is the port taken? log above)"
  fi
  print_connection
}

stop() {
  if is_running; then
    as_server_user "$bindir/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null
    rm -rf "$dir"
    echo "stopped PostgreSQL on port $port and removed $dir"
  elif [ -e "$dir" ]; then
    rm -rf "$dir"
    echo "not running on port $port (removed the leftover $dir)"
  else
    echo "not running on port $port"
  fi
}

status() {
  if is_running; then
    print_connection
  else
    echo "not running on port $port"
    exit 3
  fi
}

"$command_name"
