# Sourced by scripts/bootstrap.sh and tools/engines/*.sh: one progress line per setup step, the
# step's full output appended to one log file that the line names, and on failure the log's tail.
# SETUP_LOG is exported so the engine scripts (separate processes) append to the same file.
_steps_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SETUP_LOG="${SETUP_LOG:-$_steps_root/.run/setup.log}"
mkdir -p "$(dirname "$SETUP_LOG")"
_steps_shown="${SETUP_LOG#"$PWD"/}"

step() { # step <label> <command...>: runs the command with its output in $SETUP_LOG
  local label="$1" start=$SECONDS rc=0 errexit=0
  shift
  [[ $- == *e* ]] && errexit=1
  printf '==> %s ... ' "$label" >&2
  printf '\n===== %s: %s\n' "$(date -u +%FT%TZ)" "$label" >>"$SETUP_LOG"
  # Not `"$@" || rc=$?`: inside an || list bash ignores -e, so a failing command in the middle
  # of a step function would not stop it. A subshell with -e set does.
  # Call step as a plain command (not in `if`/`||`): there bash ignores -e even in this subshell.
  local offset
  offset=$(wc -c <"$SETUP_LOG")
  set +e
  (set -e; "$@") >>"$SETUP_LOG" 2>&1
  rc=$?
  [ $errexit = 1 ] && set -e
  if [ $rc = 0 ]; then
    printf 'done in %ss (log: %s)\n' "$((SECONDS - start))" "$_steps_shown" >&2
  else
    printf 'FAILED after %ss (exit %s); the end of %s:\n' "$((SECONDS - start))" "$rc" "$_steps_shown" >&2
    tail -c +"$((offset + 1))" "$SETUP_LOG" | tail -n "${SETUP_LOG_TAIL:-25}" | sed 's/^/    /' >&2
  fi
  return $rc
}
