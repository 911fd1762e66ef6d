#!/usr/bin/env bash
# A local Citus cluster: a coordinator and two workers on ports of this machine, each with its own
# data folder, registered with each other. The same steps, with real host names, make a cluster of
# several machines (docs/operations.md, "Running on several machines").
#
#   deploy/citus/cluster.sh start            # initialise when missing, start, register (idempotent)
#   deploy/citus/cluster.sh stop             # stop every node (data kept)
#   deploy/citus/cluster.sh remove           # stop and delete the data folders
#   deploy/citus/cluster.sh status           # nodes, their state, the workers the coordinator knows
#   deploy/citus/cluster.sh createdb NAME    # a database with citus on every node, nodes registered
#   deploy/citus/cluster.sh dropdb NAME      # drop it on every node
#   deploy/citus/cluster.sh add-worker       # one more worker (next port), added to every database
#   deploy/citus/cluster.sh remove-worker PORT   # drain its shards to the others, remove, stop, delete
#   deploy/citus/cluster.sh url [NAME]       # the coordinator's DATABASE_URL
#
# Environment: CITUS_DIR (data folders, default /var/tmp/metodist-citus), CITUS_PORT (coordinator
# port, default 9700; workers take the next ports), CITUS_WORKERS (2), CITUS_DB (metodist: the
# database `start` creates). It never touches another PostgreSQL on this machine (e.g. port 5432).
set -euo pipefail

PG_BIN="${PG_BIN:-$(dirname "$(readlink -f "${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}")")}"
CITUS_DIR="${CITUS_DIR:-/var/tmp/metodist-citus}"
CITUS_PORT="${CITUS_PORT:-9700}"
CITUS_WORKERS="${CITUS_WORKERS:-2}"
CITUS_DB="${CITUS_DB:-metodist}"
HOST=127.0.0.1

# PostgreSQL refuses to run as root: as root, the nodes run as the `postgres` user.
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

psql_at() {  # psql_at PORT DB SQL...
  local port="$1" db="$2"
  shift 2
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -At -h "$HOST" -p "$port" -U postgres -d "$db" "$@"
}

node_dirs() {  # every node folder, coordinator first
  [[ -d "$CITUS_DIR/coordinator" ]] && echo "$CITUS_DIR/coordinator"
  find "$CITUS_DIR" -maxdepth 1 -mindepth 1 -type d -name 'worker*' 2>/dev/null | sort -V
}

node_port() { cat "$1/metodist-port"; }

init_node() {  # init_node DIR PORT
  local dir="$1" port="$2"
  if [[ -f "$dir/PG_VERSION" ]]; then
    return 0
  fi
  mkdir -p "$dir"
  [[ "$(id -u)" == 0 ]] && chown postgres:postgres "$CITUS_DIR" "$dir"
  chmod 700 "$dir"
  as_pg "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  as_pg tee -a "$dir/postgresql.conf" >/dev/null <<CONF
# metodist local Citus node
port = $port
listen_addresses = '$HOST'
unix_socket_directories = '$dir'
shared_preload_libraries = 'citus'
max_connections = 300
shared_buffers = 64MB
# Shard moves and rebalancing copy with logical replication.
wal_level = logical
max_replication_slots = 16
max_wal_senders = 16
# Nodes are on one machine and trust each other; real hosts use TLS and passwords (.pgpass).
citus.node_conninfo = 'sslmode=disable'
logging_collector = off
CONF
  as_pg tee "$dir/metodist-port" >/dev/null <<<"$port"
}

start_node() {  # start_node DIR
  local dir="$1" port
  port="$(node_port "$dir")"
  if as_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    return 0
  fi
  as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start >/dev/null
  "$PG_BIN/pg_isready" -q -h "$HOST" -p "$port" -t 30
}

require_citus() {
  local lib
  lib="$("$PG_BIN/pg_config" --pkglibdir)"
  if [[ ! -f "$lib/citus.so" ]]; then
    echo "citus is not installed: run deploy/citus/build.sh first" >&2
    exit 2
  fi
}

ensure_db() {  # ensure_db PORT NAME: the database with the citus extension on one node
  local port="$1" name="$2"
  if [[ -z "$(psql_at "$port" postgres -c "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]]; then
    psql_at "$port" postgres -c "CREATE DATABASE \"$name\""
  fi
  psql_at "$port" "$name" -c "CREATE EXTENSION IF NOT EXISTS citus"
}

citus_dbs() {  # databases on the coordinator that have the citus extension
  local cport db
  cport="$(node_port "$CITUS_DIR/coordinator")"
  for db in $(psql_at "$cport" postgres -c "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate"); do
    if [[ -n "$(psql_at "$cport" "$db" -c "SELECT 1 FROM pg_extension WHERE extname = 'citus'")" ]]; then
      echo "$db"
    fi
  done
}

register_db() {  # register_db NAME: citus on every node, the workers added on the coordinator
  local name="$1" cport dir port
  cport="$(node_port "$CITUS_DIR/coordinator")"
  while read -r dir; do
    ensure_db "$(node_port "$dir")" "$name"
  done < <(node_dirs)
  psql_at "$cport" "$name" -c "SELECT citus_set_coordinator_host('$HOST', $cport)" >/dev/null
  while read -r dir; do
    [[ "$dir" == "$CITUS_DIR/coordinator" ]] && continue
    port="$(node_port "$dir")"
    psql_at "$cport" "$name" -c "SELECT citus_add_node('$HOST', $port)" >/dev/null
  done < <(node_dirs)
}

cmd_start() {
  require_citus
  init_node "$CITUS_DIR/coordinator" "$CITUS_PORT"
  local i
  for ((i = 1; i <= CITUS_WORKERS; i++)); do
    init_node "$CITUS_DIR/worker$i" "$((CITUS_PORT + i))"
  done
  while read -r dir; do start_node "$dir"; done < <(node_dirs)
  register_db "$CITUS_DB"
  cmd_status
}

cmd_stop() {
  local dir
  while read -r dir; do
    if as_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
      as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
    fi
  done < <(node_dirs | tac)
  echo "stopped"
}

cmd_remove() {
  [[ -d "$CITUS_DIR" ]] || { echo "nothing at $CITUS_DIR"; return 0; }
  cmd_stop
  rm -rf "$CITUS_DIR"
  echo "removed $CITUS_DIR"
}

cmd_status() {
  local dir state port
  [[ -d "$CITUS_DIR/coordinator" ]] || { echo "no cluster at $CITUS_DIR"; return 1; }
  while read -r dir; do
    port="$(node_port "$dir")"
    if as_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then state=running; else state=stopped; fi
    echo "$(basename "$dir") $HOST:$port $state"
  done < <(node_dirs)
  port="$(node_port "$CITUS_DIR/coordinator")"
  if "$PG_BIN/pg_isready" -q -h "$HOST" -p "$port"; then
    echo "workers known to $CITUS_DB:"
    psql_at "$port" "$CITUS_DB" -c \
      "SELECT '  ' || nodename || ':' || nodeport || CASE WHEN isactive THEN ' active' ELSE ' inactive' END
         FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0 ORDER BY nodeport" 2>/dev/null || true
  fi
}

cmd_createdb() {
  local name="${1:?createdb NAME}"
  register_db "$name"
  echo "$name"
}

cmd_dropdb() {
  local name="${1:?dropdb NAME}" dir
  while read -r dir; do
    psql_at "$(node_port "$dir")" postgres -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)"
  done < <(node_dirs | tac)
}

cmd_add_worker() {
  require_citus
  local last next dir db cport
  last="$(node_dirs | tail -1)"
  next="$(( $(node_port "$last") + 1 ))"
  dir="$CITUS_DIR/worker$(( next - CITUS_PORT ))"
  init_node "$dir" "$next"
  start_node "$dir"
  cport="$(node_port "$CITUS_DIR/coordinator")"
  for db in $(citus_dbs); do
    ensure_db "$next" "$db"
    psql_at "$cport" "$db" -c "SELECT citus_add_node('$HOST', $next)" >/dev/null
  done
  echo "$HOST:$next"
}

cmd_remove_worker() {
  local port="${1:?remove-worker PORT}" dir db cport
  cport="$(node_port "$CITUS_DIR/coordinator")"
  dir=""
  while read -r d; do [[ "$(node_port "$d")" == "$port" ]] && dir="$d"; done < <(node_dirs)
  [[ -n "$dir" && "$dir" != "$CITUS_DIR/coordinator" ]] || { echo "no worker on port $port" >&2; exit 2; }
  for db in $(citus_dbs); do
    if [[ -n "$(psql_at "$cport" "$db" -c "SELECT 1 FROM pg_dist_node WHERE nodeport = $port")" ]]; then
      # Move its shards (whole tenant schemas) to the other workers, then forget the node.
      psql_at "$cport" "$db" -c "SELECT citus_drain_node('$HOST', $port)" >/dev/null
      psql_at "$cport" "$db" -c "SELECT citus_remove_node('$HOST', $port)" >/dev/null
    fi
  done
  as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
  rm -rf "$dir"
  echo "removed $HOST:$port"
}

cmd_url() {
  echo "postgresql://postgres@$HOST:$CITUS_PORT/${1:-$CITUS_DB}"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  remove) cmd_remove ;;
  status) cmd_status ;;
  createdb) cmd_createdb "${2:-}" ;;
  dropdb) cmd_dropdb "${2:-}" ;;
  add-worker) cmd_add_worker ;;
  remove-worker) cmd_remove_worker "${2:-}" ;;
  url) cmd_url "${2:-}" ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
