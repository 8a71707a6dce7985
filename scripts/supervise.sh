# Sourced by scripts/start-production-like.sh and scripts/start-local-stack.sh: runs a stack's
# processes as an orchestrator would. A process that exits or is killed is started again after a
# backoff, with one line saying which, how and as what pid; one that keeps dying within
# SUPERVISOR_STABLE_SECONDS (30) of its start is given up on after SUPERVISOR_RESTART_LIMIT (5)
# restarts in a row, and the whole stack stops. SIGINT/SIGTERM (Ctrl-C) stops every process.
#
# Set stack_name before sourcing; then `launch <name> <log or -> <command...>` for each process and,
# once the stack is up, `supervise`. Needs bash 5.1 (wait -n -p).

# The supervised processes: name -> current pid, how to start it, its log, and its restart record.
declare -A pid_of=() start_of=() log_of=() started_at=() quick_deaths=()
restart_limit="${SUPERVISOR_RESTART_LIMIT:-5}"
stable_seconds="${SUPERVISOR_STABLE_SECONDS:-30}"
stopping=0

cleanup() {
  trap - INT TERM EXIT
  stopping=1
  echo "stopping the $stack_name..."
  local pids=("${pid_of[@]}") pid alive
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # weed does not always exit on SIGTERM: give everything a grace period, then insist.
  for _ in $(seq 1 20); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
# The trap alone would return to the supervision loop, which would restart what cleanup stopped.
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

launch() { # <name> <log file, or - for the script's own output> <command...>
  local name="$1" log="$2"; shift 2
  start_of[$name]="$(printf '%q ' "$@")"
  log_of[$name]="$log"
  relaunch "$name"
}
relaunch() { # <name>
  local name="$1"
  # exec: the pid is the process's own, not a subshell's, so that signals reach it and it is waited for.
  if [ "${log_of[$name]}" = - ]; then eval "exec ${start_of[$name]}" &
  else eval "exec ${start_of[$name]}" >>"${log_of[$name]}" 2>&1 &
  fi
  pid_of[$name]=$!
  started_at[$name]=$SECONDS
}
name_of() { # <pid>: the supervised process with this pid, if any
  local name
  for name in "${!pid_of[@]}"; do [ "${pid_of[$name]}" = "$1" ] && { echo "$name"; return 0; }; done
  return 1
}
how() { # <wait status>
  local signal
  if [ "$1" -gt 128 ] && signal="$(kill -l "$(($1 - 128))" 2>/dev/null)"; then echo "was killed by SIG$signal"
  else echo "exited with code $1"; fi
}
where_logged() { # <name>
  [ "${log_of[$1]}" = - ] && echo "its output is above" || echo "log: ${log_of[$1]}"
}
first_dead() { # prints the name of a supervised process that is no longer running, if any
  local name
  for name in "${!pid_of[@]}"; do kill -0 "${pid_of[$name]}" 2>/dev/null || { echo "$name"; return 0; }; done
  return 1
}

# A death within stable_seconds of the start is a quick one: the backoff doubles with each in a row
# (1, 2, 4 ... 16 s), long enough for a restarted dependency to come back, and restart_limit of them
# in a row means the process cannot run here, so the stack stops instead of restarting it forever.
supervise() {
  local status died name lived backoff
  while [ "$stopping" = 0 ]; do
    status=0
    died=""
    # stderr: bash would add its own "Killed" job notice to the line below.
    { wait -n -p died; } 2>/dev/null || status=$?
    if [ -z "$died" ]; then
      [ "$status" = 127 ] && { echo "no process of the $stack_name is left" >&2; exit 1; }
      continue
    fi
    name="$(name_of "$died")" || continue
    lived=$((SECONDS - started_at[$name]))
    if [ "$lived" -lt "$stable_seconds" ]; then quick_deaths[$name]=$((${quick_deaths[$name]:-0} + 1)); else quick_deaths[$name]=1; fi
    if [ "${quick_deaths[$name]}" -gt "$restart_limit" ]; then
      echo "$name (pid $died) $(how "$status") after $lived s, its $restart_limit restarts in a row all died within $stable_seconds s: not restarting it, stopping the $stack_name ($(where_logged "$name"))" >&2
      exit 1
    fi
    backoff=$((1 << (quick_deaths[$name] - 1)))
    [ "$backoff" -gt 16 ] && backoff=16
    # In the background so that Ctrl-C during the backoff is handled at once.
    sleep "$backoff" &
    wait $! || true
    relaunch "$name"
    echo "$name (pid $died) $(how "$status") after $lived s: restarted after $backoff s as pid ${pid_of[$name]} (restart ${quick_deaths[$name]} of $restart_limit in a row; $(where_logged "$name"))" >&2
  done
}
