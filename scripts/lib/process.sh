# Child-process helpers shared by the scripts (sourced, not run).

# stop_child PID: SIGTERM (graceful shutdown), up to 20 s, then SIGKILL; reaps it. Never fails.
stop_child() {
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
