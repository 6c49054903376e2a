#!/usr/bin/env bash
# A PostgreSQL cluster of its own for the ten-million-dossier run, set up as
# a province's database server would be (memory for caches, room for WAL
# between checkpoints), on 127.0.0.1:${PORT:-5433}, trust authentication.
#   bench/tuned_pg.sh start   # creates it on first use, then starts it
#   bench/tuned_pg.sh stop
#   bench/tuned_pg.sh drop    # stops it and deletes its files
# Needs the server programs of the machine's PostgreSQL and root or the
# postgres user; the data goes to ${DIR:-/var/tmp/dvc-bench-pg}.
set -euo pipefail
PORT=${PORT:-5433}
DIR=${DIR:-/var/tmp/dvc-bench-pg}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-start}" in
start)
  if [ ! -f "$DIR/PG_VERSION" ]; then
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    as_pg "$BIN/initdb" -D "$DIR" -U postgres --auth=trust --locale=C.UTF-8 -E UTF8 >/dev/null
    cat >> "$DIR/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
shared_buffers = 4GB
effective_cache_size = 16GB
work_mem = 64MB
maintenance_work_mem = 1GB
max_wal_size = 6GB
checkpoint_timeout = 30min
checkpoint_completion_target = 0.9
wal_compression = on
random_page_cost = 1.1
CONF
  fi
  as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w start >/dev/null
  echo "PostgreSQL on 127.0.0.1:$PORT (data in $DIR)"
  ;;
stop) as_pg "$BIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null || true ;;
drop) as_pg "$BIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$DIR" ;;
*) echo "usage: $0 start|stop|drop" >&2; exit 2 ;;
esac
