#!/usr/bin/env bash
# Docker smoke test (not part of `make test`): build the image from a locally bootstrapped Debian,
# start the compose stack's Postgres, code server, daemon and webserver on the host network, launch
# one whale_pipeline partition through DockerRunLauncher and check that its own container succeeded.
#   bash deploy/docker/smoke.sh           (as root; KEEP_IMAGES=1 keeps the built images)
# No registry is needed: the base is `mmdebstrap bookworm | docker import`, Postgres is Debian's.
# A Docker engine already answering is used as is; otherwise this starts dockerd with
# --bridge=none --iptables=false under $WORK (the host's network settings stay untouched) and
# stops it, by its PID, at the end.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=${WHALE_SMOKE_DIR:-/var/tmp/whale-docker-smoke}
BASE_IMAGE=whale-base:bookworm
export WHALE_IMAGE=whale-assets:smoke
export POSTGRES_IMAGE=whale-postgres:bookworm
PARTITION=2023-09-14
mkdir -p "$WORK"

say() { printf '[smoke %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
declare -A SECONDS_FOR=()
timed() {  # timed NAME command...: run it, remember how long it took
  local name=$1 start=$SECONDS; shift
  "$@"
  SECONDS_FOR[$name]=$((SECONDS - start))
}

# --- tools -------------------------------------------------------------------------------------
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then
  missing+=(docker-compose)
fi
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

# --- engine ------------------------------------------------------------------------------------
DOCKERD_PID=""
cleanup() {
  local rc=$?
  set +e
  if [[ -n "${COMPOSE_READY:-}" ]]; then
    say "cleaning up: stack, volumes, run containers"
    compose down -v --remove-orphans >/dev/null 2>&1
    docker ps -aq --filter label=whale_assets.role=run | xargs -r docker rm -f >/dev/null
    docker volume rm whale_assets_data >/dev/null 2>&1
  fi
  if [[ -z "${KEEP_IMAGES:-}" ]] && docker info >/dev/null 2>&1; then
    docker rmi -f "$WHALE_IMAGE" "$POSTGRES_IMAGE" "$BASE_IMAGE" >/dev/null 2>&1
    docker image prune -f >/dev/null 2>&1
  fi
  if [[ -n "$DOCKERD_PID" ]]; then
    say "stopping dockerd (pid $DOCKERD_PID)"
    kill "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
    # dockerd leaves its default network namespace mounted under the exec root.
    umount "$WORK/engine/exec/netns/default" 2>/dev/null
    [[ -z "${KEEP_IMAGES:-}" ]] && rm -rf "$WORK/engine"
  fi
  exit "$rc"
}
trap cleanup EXIT

if ! docker info >/dev/null 2>&1; then
  ENGINE=$WORK/engine
  mkdir -p "$ENGINE"
  export DOCKER_HOST=unix://$ENGINE/docker.sock
  say "starting dockerd (--bridge=none --iptables=false, data in $ENGINE)"
  dockerd --bridge=none --iptables=false --ip6tables=false \
    --data-root "$ENGINE/data" --exec-root "$ENGINE/exec" --pidfile "$ENGINE/dockerd.pid" \
    -H "$DOCKER_HOST" ${DOCKERD_STORAGE_DRIVER:+--storage-driver="$DOCKERD_STORAGE_DRIVER"} \
    >"$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  if ! docker info >/dev/null 2>&1; then
    say "dockerd did not come up; its log:"; tail -20 "$WORK/dockerd.log"; exit 1
  fi
fi
DOCKER_SOCKET=$(docker context inspect -f '{{.Endpoints.docker.Host}}' 2>/dev/null || true)
DOCKER_SOCKET=${DOCKER_HOST:-${DOCKER_SOCKET:-unix:///var/run/docker.sock}}
export DOCKER_SOCKET=${DOCKER_SOCKET#unix://}
export DOCKER_GID
DOCKER_GID=$(stat -c %g "$DOCKER_SOCKET")
say "engine $(docker version -f '{{.Server.Version}}'), storage $(docker info -f '{{.Driver}}'), socket $DOCKER_SOCKET"

# --- images ------------------------------------------------------------------------------------
bootstrap_base() {
  # Local CAs (a TLS-intercepting proxy's) go into the base too, so pip and apt inside trust them.
  mmdebstrap --quiet --variant=apt --include=python3,python3-venv,ca-certificates \
    --customize-hook='if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
        cp /usr/local/share/ca-certificates/*.crt "$1/usr/local/share/ca-certificates/";
        chroot "$1" update-ca-certificates >/dev/null; fi' \
    bookworm - | docker import - "$BASE_IMAGE" >/dev/null
}
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  say "bootstrapping $BASE_IMAGE with mmdebstrap"
  timed base_image bootstrap_base
fi
say "building $WHALE_IMAGE (deploy/Dockerfile, BASE_IMAGE=$BASE_IMAGE)"
timed project_image docker build --quiet --network host -f "$REPO/deploy/Dockerfile" \
  --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
  -t "$WHALE_IMAGE" "$REPO" >/dev/null
say "building $POSTGRES_IMAGE (Debian's PostgreSQL)"
timed postgres_image docker build --quiet --network host --build-arg BASE_IMAGE="$BASE_IMAGE" \
  -t "$POSTGRES_IMAGE" "$HERE/postgres-debian" >/dev/null

# --- stack on the host network (loopback only) -------------------------------------------------
export DAGSTER_PG_HOST=127.0.0.1 DAGSTER_PG_PORT=${SMOKE_PG_PORT:-25432} POSTGRES_LISTEN=127.0.0.1
export WHALE_CODE_SERVER_HOST=127.0.0.1 WHALE_CODE_SERVER_BIND=127.0.0.1 WHALE_CODE_SERVER_PORT=${SMOKE_CODE_PORT:-24000}
export WHALE_WEBSERVER_BIND=127.0.0.1 WHALE_WEBSERVER_PORT=${SMOKE_WEB_PORT:-23000}
export WHALE_DOCKER_NETWORK=host
# The demo's offline world inside the shared data volume, scored by the band-energy detector.
export WHALE_STORAGE=local WHALE_SHARED_LOCAL_STORAGE=1 WHALE_CLASSIFIER=energy
export WHALE_ENCOUNTERS=/opt/dagster/data/world/encounters WHALE_AUDIO_SOURCE=/opt/dagster/data/world/archive

if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
# compose.yaml + compose.hostnet.yaml, merged, without the published ports: host networking has no
# use for them; Compose v2 drops them with a warning, Debian's docker-compose 1.29 refuses to start.
"${COMPOSE[@]}" -f "$HERE/compose.yaml" -f "$HERE/compose.hostnet.yaml" config >"$WORK/compose.merged.yaml"
python3 - "$WORK/compose.merged.yaml" <<'PYEOF'
import sys

import yaml

path = sys.argv[1]
with open(path) as f:
    config = yaml.safe_load(f)
for service in config["services"].values():
    service.pop("ports", None)
with open(path, "w") as f:
    yaml.safe_dump(config, f, sort_keys=False)
PYEOF
compose() { "${COMPOSE[@]}" -p whale-assets-smoke --project-directory "$HERE" -f "$WORK/compose.merged.yaml" "$@"; }
# dagster.yaml's run containers mount the data volume by its fixed name: a stack already using it
# on this engine is someone's real deployment, which this script must not touch.
if docker volume inspect whale_assets_data >/dev/null 2>&1; then
  say "volume whale_assets_data exists on this engine (a real stack?): not touching it"; exit 1
fi
COMPOSE_READY=1

say "writing the demo world into the data volume"
timed world compose run --rm --no-deps -T code_server python -c \
  "from pathlib import Path; from whale_assets.demo.world import build_world; build_world(Path('/opt/dagster/data/world'))"

say "starting postgres, code_server, daemon, webserver"
start_stack() {
  compose up -d postgres code_server daemon webserver
  for _ in $(seq 1 90); do
    if compose exec -T daemon dagster api grpc-health-check -h 127.0.0.1 -p "$WHALE_CODE_SERVER_PORT" >/dev/null 2>&1 \
       && compose exec -T daemon python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$WHALE_WEBSERVER_PORT/server_info')" >/dev/null 2>&1; then
      return 0
    fi
    sleep 2
  done
  compose logs --tail 30; return 1
}
timed stack start_stack
# Every pool limit set explicitly (a default_limit can race on Postgres; docs/how-to/kubernetes-ecs.md).
compose exec -T daemon dagster instance concurrency set duckdb_writers 1 >/dev/null
compose exec -T daemon dagster instance concurrency set model_scoring 1 >/dev/null

say "launching whale_pipeline for $PARTITION through the queue"
launch_and_wait() {
  compose exec -T daemon dagster job launch -w /opt/dagster/dagster_home/workspace.yaml -l whale_assets \
    -j whale_pipeline --tags "{\"dagster/partition\": \"$PARTITION\"}" \
    --config-json '{"ops": {"raw_audio": {"config": {"margin_s": 300}}}}' >/dev/null
  compose exec -T daemon python - <<'EOF' >"$WORK/run.txt"
import time
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

with DagsterInstance.get() as instance:
    deadline = time.monotonic() + 900
    while True:
        run = instance.get_runs(RunsFilter(job_name="whale_pipeline"), limit=1)[0]
        if run.status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED):
            break
        if time.monotonic() > deadline:
            break
        time.sleep(2)
    record = instance.get_run_record_by_id(run.run_id)
    print(run.run_id, run.status.value, run.tags.get("docker/container_id", "-"),
          f"{(record.end_time or time.time()) - (record.start_time or record.create_timestamp.timestamp()):.0f}")
EOF
}
timed launch_to_end launch_and_wait
read -r RUN_ID RUN_STATUS CONTAINER RUN_SECONDS <"$WORK/run.txt"
CONTAINER_STATE="none"
if [[ "$CONTAINER" != "-" ]]; then
  CONTAINER_STATE=$(docker inspect -f '{{.Config.Image}} exit={{.State.ExitCode}} user={{.Config.User}} net={{.HostConfig.NetworkMode}}' "$CONTAINER")
fi
ROWS=$(compose exec -T code_server whale-assets sql --format csv \
  "select count(*) as n, sum(detected::int) as detected from whale_results" 2>/dev/null | tail -1 || echo "?")

size() { docker image inspect -f '{{.Size}}' "$1" | awk '{printf "%.0f MB", $1/1e6}'; }
echo
echo "== Docker smoke summary =="
echo "engine:          $(docker version -f '{{.Server.Version}}') ($(docker info -f '{{.Driver}}')), started here: ${DOCKERD_PID:+yes, pid }${DOCKERD_PID:-no}"
echo "images:          $BASE_IMAGE $(size "$BASE_IMAGE"), $WHALE_IMAGE $(size "$WHALE_IMAGE"), $POSTGRES_IMAGE $(size "$POSTGRES_IMAGE")"
for phase in base_image project_image postgres_image world stack launch_to_end; do
  [[ -n "${SECONDS_FOR[$phase]:-}" ]] && printf '%-16s %s s\n' "$phase:" "${SECONDS_FOR[$phase]}"
done
echo "run:             $RUN_ID $RUN_STATUS in ${RUN_SECONDS} s (partition $PARTITION)"
echo "run container:   ${CONTAINER:0:12} $CONTAINER_STATE"
echo "whale_results:   rows,detected = $ROWS"
[[ "$RUN_STATUS" == SUCCESS && "$CONTAINER_STATE" == *"exit=0"* ]]
