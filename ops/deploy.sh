#!/usr/bin/env bash
# Deploys the latest code: git pull, build the image, run the migrations, restart the services,
# wait until the app reports healthy. Stops at the first failing step, saying which.
# Usage: BACKOFFICE_DIR=/srv/backend ops/deploy.sh
#   BACKOFFICE_BRANCH      branch to pull (default main)
#   DEPLOY_HEALTH_TIMEOUT  seconds to wait for the app to be healthy (default 120)
set -euo pipefail

dir="${BACKOFFICE_DIR:-/srv/backend}"
branch="${BACKOFFICE_BRANCH:-main}"
timeout="${DEPLOY_HEALTH_TIMEOUT:-120}"
cd "$dir"

current="starting"
step() { current="$*"; echo "deploy: $*"; }
trap 'echo "deploy: FAILED while $current" >&2' ERR

if [[ ! -f compose.override.yml ]]; then
  echo "deploy: $dir/compose.override.yml is missing; copy it from _compose.override.yml (production setup runbook)" >&2
  exit 1
fi

step "pulling $branch in $dir"
git pull --ff-only origin "$branch"
step "now at $(git rev-parse --short HEAD)"

step "building the app image"
docker compose build app

step "applying database migrations"
docker compose run --rm --no-deps app node dist/cli.js migrate up

step "restarting the services"
docker compose up -d --remove-orphans

step "waiting up to ${timeout}s for the app to be healthy"
container="$(docker compose ps -q app)"
if [[ -z "$container" ]]; then
  echo "deploy: the app container is not running; see: docker compose logs app" >&2
  exit 1
fi
waited=0
while true; do
  status="$(docker inspect --format '{{.State.Health.Status}}' "$container")"
  if [[ "$status" == "healthy" ]]; then
    break
  fi
  if (( waited >= timeout )); then
    echo "deploy: the app is still '$status' after ${timeout}s; see: docker compose logs app" >&2
    exit 1
  fi
  sleep 2
  waited=$((waited + 2))
done
step "done: the app is healthy"
