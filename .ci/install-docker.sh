#!/usr/bin/env bash
# Docker for the sandbox: install docker.io if missing, start a daemon if none answers, and wait until
# `docker info` works. Idempotent. The daemon runs without a bridge or iptables rules: sandbox jobs get no
# network anyway, and CI machines often cannot create bridges.
set -euo pipefail
wait_s=${DOCKER_WAIT_S:-60}
log=${DOCKERD_LOG:-/var/tmp/paraforge-dockerd.log}

if ! command -v docker >/dev/null || ! command -v dockerd >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi

if docker info >/dev/null 2>&1; then
  echo "docker: a daemon answers (server $(docker version --format '{{.Server.Version}}'))"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-docker.sh: no Docker daemon answers, and starting one needs root" >&2
  exit 1
fi

echo "docker: starting dockerd (log: $log)"
setsid nohup dockerd --bridge=none --iptables=false --ip6tables=false >"$log" 2>&1 </dev/null &
pid=$!
for ((waited = 0; waited < wait_s; waited++)); do
  if docker info >/dev/null 2>&1; then
    echo "docker: the daemon answers after ${waited} s"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "install-docker.sh: dockerd exited; the end of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  sleep 1
done
echo "install-docker.sh: dockerd did not answer within ${wait_s} s (DOCKER_WAIT_S); stopping it. The end of $log:" >&2
kill "$pid" 2>/dev/null || true
tail -n 20 "$log" >&2
exit 1
