#!/usr/bin/env bash
# ensure-docker.sh makes sure a Docker Engine is running on this machine and
# that the local test image exists, installing what is missing from Debian's
# packages. It is idempotent and needs root when it has to install or start.
#
# Why a local image: the machines berth is developed and tested on reach no
# image registry, so tests cannot pull. berth-test/busybox is a 2 MB image
# made here from Debian's static busybox (sh, echo, sleep, httpd, wget, ...).
#
# Facts this relies on (checked on the project's machines): Debian's
# docker.io is Engine 20.10 (API 1.41, overlay2, cgroup v1); moby/moby/client
# v0.6.x negotiates down to API 1.40.
set -euo pipefail

# Bounds: apt may take minutes on a cold mirror; dockerd starts in seconds.
readonly DOCKERD_START_TIMEOUT_S=60
readonly IMAGE=berth-test/busybox:latest
readonly LOG=${DOCKERD_LOG:-/tmp/berth-dockerd.log}

need_install=()
command -v dockerd >/dev/null 2>&1 || need_install+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || need_install+=(busybox-static)
# The fault suite's A7 gives a private Docker Engine a bridge of its own.
command -v ip >/dev/null 2>&1 || need_install+=(iproute2)
if [ ${#need_install[@]} -gt 0 ]; then
  echo "ensure-docker: installing ${need_install[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_install[@]}" >/dev/null
fi

# wait_gone waits for a previous dockerd that is still shutting down, and
# removes the pid file of one that died, which would stop a new one.
wait_gone() {
  local pidfile=/var/run/docker.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  for _ in $(seq 1 "$DOCKERD_START_TIMEOUT_S"); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "ensure-docker: dockerd (pid $pid) does not answer and does not exit" >&2
    exit 1
  fi
  rm -f "$pidfile"
}

if ! docker info >/dev/null 2>&1; then
  wait_gone
  echo "ensure-docker: starting dockerd (log: $LOG)"
  nohup dockerd >"$LOG" 2>&1 &
  for _ in $(seq 1 "$DOCKERD_START_TIMEOUT_S"); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "ensure-docker: dockerd did not start; see $LOG" >&2; tail -20 "$LOG" >&2; exit 1; }
fi

if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/bin" "$root/tmp" "$root/www"
  cp /bin/busybox "$root/bin/busybox"
  for applet in sh echo sleep cat ls wget httpd true false kill env printf nc; do
    ln -s busybox "$root/bin/$applet"
  done
  echo ok >"$root/www/index.html"
  tar -C "$root" -c . | docker import -c 'ENV PATH=/bin' - "$IMAGE" >/dev/null
  echo "ensure-docker: built $IMAGE"
fi
docker version --format 'ensure-docker: Docker Engine {{.Server.Version}} (API {{.Server.APIVersion}}) ready'
