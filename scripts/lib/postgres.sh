# shellcheck shell=bash
# Helpers to run a private PostgreSQL cluster from the machine's own binaries.
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user.

pg_bin_dir() {
  local dir
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return 0
  fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

# Installs PostgreSQL through apt when its server binaries are absent.
pg_ensure_binaries() {
  if ! pg_bin_dir >/dev/null; then
    echo ">> PostgreSQL server binaries not found; installing them with apt-get" >&2
    if [ "$(id -u)" -ne 0 ]; then
      echo "!! run as root (or install the 'postgresql' package) so PostgreSQL can be installed" >&2
      return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql postgresql-client >&2
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
  fi
  PG_BIN=$(pg_bin_dir)
  export PG_BIN
}

# Runs a command as the cluster owner.
pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# pg_start_cluster DATA_DIR PORT: initialises the cluster if needed and starts it on 127.0.0.1:PORT.
pg_start_cluster() {
  local data=$1 port=$2
  mkdir -p "$data"
  chmod 700 "$data"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$data"
    chmod o+x "$(dirname "$data")"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    pg_as_owner "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
  fi
  if pg_as_owner "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    return 0
  fi
  pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -w -t 60 -l "$data/server.log" \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $data -c max_connections=300 -c fsync=${PG_FSYNC:-on}" start >/dev/null
}

pg_stop_cluster() {
  local data=$1
  [ -f "$data/PG_VERSION" ] || return 0
  pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

# pg_create_database PORT NAME: creates the database unless it exists.
pg_create_database() {
  local port=$1 name=$2
  if ! psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE \"$name\"" >/dev/null
  fi
}
