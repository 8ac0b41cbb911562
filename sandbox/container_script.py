"""The shell script that runs one job inside a sandbox container, as the job's unprivileged user.

The job's files arrive (by ``put_archive``) in a staging dir below the work root, a tmpfs that is the
only sizeable writable place of the container. Before the job, the script checks that no process of
an earlier job survived (one that did could have touched the staged files: the job fails its setup
and the backend moves it to a fresh container), wipes everything else an earlier job left in the work
root, shared memory, message queues and System V IPC, then moves the staged files up: the job runs in
the work root itself, so ``..`` is the read-only root file system. The job
runs under ``timeout -k 1`` (its wall time, then SIGKILL a second later) with its CPU-time rlimit.
After it, ``kill -9 -1`` kills every process of the job user still alive (background ones, ones that
left the process group), so that the exec's output stream ends when the job does. The container's
init and idle process run as another user, out of the job's reach.
"""

from __future__ import annotations

import math

from sandbox.job import Limits

WORK_ROOT = "/work"
"""Mount point of the container's size-limited tmpfs: the job's work dir."""
SETUP_FAILED = 125
"""Exit status of the script when it cannot prepare the job (wipe leftovers, unstage files); the job did not run."""
SETUP_MESSAGE = "paraforge-sandbox: setup failed:"
"""Start of the line the script prints on stderr before exiting with :data:`SETUP_FAILED`."""

_SCRIPT = f"""
fail() {{ echo "{SETUP_MESSAGE} $*" >&2; exit {SETUP_FAILED}; }}
stage={WORK_ROOT}/$1 cpu=$2 wall=$3 survivor=
shift 3
for s in /proc/[0-9]*/status; do
  [ "$s" = "/proc/$$/status" ] && continue
  {{ while read -r key value rest; do
      case $key in
        State:) [ "$value" = Z ] && break ;;
        Uid:) [ "$value" = 0 ] || survivor=$s; break ;;
      esac
    done < "$s"; }} 2>/dev/null
done
[ -z "$survivor" ] || fail "an earlier job left a process behind ($survivor)"
chmod 700 {WORK_ROOT} || fail "cannot open the work dir"
for p in {WORK_ROOT}/* {WORK_ROOT}/.[!.]* {WORK_ROOT}/..?* /dev/shm/* /dev/shm/.[!.]* /dev/mqueue/*; do
  [ "$p" = "$stage" ] && continue
  [ -e "$p" ] || [ -L "$p" ] || continue
  chmod -R u+rwX -- "$p" 2>/dev/null
  rm -rf -- "$p" 2>/dev/null || fail "cannot wipe $p"
done
ipcrm -a 2>/dev/null
if [ -d "$stage" ]; then
  for p in "$stage"/* "$stage"/.[!.]* "$stage"/..?*; do
    [ -e "$p" ] || [ -L "$p" ] || continue
    mv -- "$p" {WORK_ROOT}/ || fail "cannot unstage $p"
  done
  rmdir -- "$stage" || fail "cannot unstage the job's files"
fi
cd {WORK_ROOT} && ulimit -t "$cpu" || fail "cannot enter the work dir"
timeout -k 1 "$wall" "$@"
status=$?
kill -9 -1 2>/dev/null
exit $status
"""


def job_command(stage: str, limits: Limits, command: list[str]) -> list[str]:
    """The exec command running ``command`` in the work root, with its files unstaged from ``stage``."""
    cpu = max(1, math.ceil(limits.cpu_seconds))
    return ["sh", "-c", _SCRIPT, "sh", stage, str(cpu), f"{limits.wall_s:.3f}", *command]
