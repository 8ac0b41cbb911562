"""The shell script that runs one job inside a sandbox container, as the job's unprivileged user.

The script first checks that no process of an earlier job survived (one that did could tamper with
this job: the job fails its setup and the backend moves it to a fresh container), and wipes
everything an earlier job left in the work root (a tmpfs, the only sizeable writable place of the
container), shared memory, message queues and System V IPC. The job's files then arrive on its
stdin as a tar of a given size, unpacked into the work root by the job's user. A line with a marker
follows; the job starts once it arrives, so that the host decides the moment, with the job's stdin
closed. The job runs in the work root itself (``..`` is the read-only root file system) under
``timeout -k 1`` (its wall time, then SIGKILL a second later) with its CPU-time rlimit. After it,
``kill -9 -1`` kills every process of the job user still alive (background ones, ones that left the
process group); then the script prints the marker on stdout and a tar of the paths to collect
(symlinks stored as such, unreadable or missing paths left out). The container's init and idle
process run as another user, out of the job's reach.
"""

from __future__ import annotations

import math

from sandbox.job import Limits

WORK_ROOT = "/work"
"""Mount point of the container's size-limited tmpfs: the job's work dir."""
SETUP_FAILED = 125
"""Exit status of the script when it cannot prepare the job (wipe leftovers, unpack files); the job did not run."""
SETUP_MESSAGE = "paraforge-sandbox: setup failed:"
"""Start of the line the script prints on stderr before exiting with :data:`SETUP_FAILED`."""

_SCRIPT = f"""
fail() {{ echo "{SETUP_MESSAGE} $*" >&2; exit {SETUP_FAILED}; }}
cpu=$1 wall=$2 size=$3 collect=$4 survivor=
shift 4
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
  [ -e "$p" ] || [ -L "$p" ] || continue
  chmod -R u+rwX -- "$p" 2>/dev/null
  rm -rf -- "$p" 2>/dev/null || fail "cannot wipe $p"
done
ipcrm -a 2>/dev/null
if [ "$size" -gt 0 ]; then
  head -c "$size" | tar -x -f - -C {WORK_ROOT} || fail "cannot unpack the job's files"
fi
IFS= read -r marker || fail "the job was never started"
exec </dev/null
cd {WORK_ROOT} && ulimit -t "$cpu" || fail "cannot enter the work dir"
timeout -k 1 "$wall" "$@"
status=$?
kill -9 -1 2>/dev/null
printf '%s' "$marker"
if [ -n "$collect" ]; then
  set -f
  IFS='
'
  set -- $collect
  tar -c -f - -C {WORK_ROOT} -- "$@" 2>/dev/null
fi
exit $status
"""


def job_command(limits: Limits, command: list[str], files_bytes: int, collect: list[str]) -> list[str]:
    """The exec command running ``command`` in the work root, after unpacking a tar of ``files_bytes`` from stdin.

    ``collect`` paths must be checked relative paths (:func:`sandbox.job.check_relative_path`): they
    are passed one per line.
    """
    cpu = max(1, math.ceil(limits.cpu_seconds))
    paths = "\n".join(collect)
    return ["sh", "-c", _SCRIPT, "sh", str(cpu), f"{limits.wall_s:.3f}", str(files_bytes), paths, *command]
