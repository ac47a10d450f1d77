# Shared set-up for scripts/serve and scripts/test: a virtual environment and a Redis.
# Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
RUN_DIR="$ROOT/.run"
mkdir -p "$RUN_DIR"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# ensure_venv REQUIREMENTS_FILE: create the venv and install, again whenever a file changes.
ensure_venv() {
  local requirements="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating a virtual environment in $VENV"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-$(basename "$requirements")"
  local digest
  digest="$(cat "$ROOT"/requirements*.txt | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    say "Installing $(basename "$requirements")"
    # (grep drops the warnings some machines' pip configuration prints for every package)
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$ROOT/$requirements" \
      2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    echo "$digest" > "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

redis_answers() {  # redis_answers URL
  "$VENV/bin/python" - "$1" <<'PY' >/dev/null 2>&1
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
PY
}

# ensure_redis: use REDIS_URL when it is set; otherwise start a private redis-server for this
# checkout on TP_REDIS_PORT (default 6390), installing Debian's package if the machine has none.
ensure_redis() {
  if [ -n "${REDIS_URL:-}" ]; then
    redis_answers "$REDIS_URL" || { echo "REDIS_URL=$REDIS_URL does not answer" >&2; exit 1; }
    say "Using Redis at $REDIS_URL (from REDIS_URL)"
    return
  fi
  local port="${TP_REDIS_PORT:-6390}"
  export REDIS_URL="redis://127.0.0.1:$port/0"
  if redis_answers "$REDIS_URL"; then
    say "Using the embedded Redis already running at $REDIS_URL"
    return
  fi
  local binary
  binary="$(command -v redis-server || true)"
  if [ -z "$binary" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "No redis-server on this machine: installing Debian's redis-server package"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
      binary="$(command -v redis-server)"
    else
      echo "No redis-server found: install one (apt-get install redis-server) or set REDIS_URL." >&2
      exit 1
    fi
  fi
  say "Starting an embedded Redis ($binary) at $REDIS_URL; it keeps nothing on disk"
  "$binary" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$RUN_DIR" \
    --daemonize yes --pidfile "$RUN_DIR/redis-$port.pid" --logfile "$RUN_DIR/redis-$port.log"
  for _ in $(seq 50); do redis_answers "$REDIS_URL" && return; sleep 0.1; done
  echo "The embedded Redis did not start; see $RUN_DIR/redis-$port.log" >&2
  exit 1
}

stop_embedded_redis() {
  local pidfile="$RUN_DIR/redis-${TP_REDIS_PORT:-6390}.pid"
  [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
}
