#!/usr/bin/env bash
# Restores a backup made by backup.sh: the database (pg_restore --clean, in one transaction) and
# the bucket (mc mirror --remove), with the app stopped meanwhile. Destructive: asks first
# unless --yes is given.
# Usage: BACKOFFICE_DIR=/srv/backend ops/restore.sh [--yes] <backup folder>
set -euo pipefail

usage() { echo "usage: restore.sh [--yes] <backup folder made by backup.sh>" >&2; exit 2; }

yes=false
if [[ "${1:-}" == "--yes" ]]; then
  yes=true
  shift
fi
[[ $# -eq 1 ]] || usage
source_dir="$(cd "$1" && pwd)"
[[ -f "$source_dir/database.dump" ]] || { echo "restore: $source_dir/database.dump not found" >&2; exit 1; }

dir="${BACKOFFICE_DIR:-/srv/backend}"
cd "$dir"

if [[ "$yes" != true ]]; then
  read -r -p "restore: replace the database and the bucket in $dir with $source_dir? [y/N] " answer
  [[ "$answer" == "y" || "$answer" == "Y" ]] || { echo "restore: cancelled"; exit 1; }
fi

trap 'echo "restore: FAILED (see above); the app may be stopped: docker compose up -d app" >&2' ERR
echo "restore: stopping the app"
docker compose stop app

echo "restore: restoring the database from $source_dir/database.dump"
# shellcheck disable=SC2016 # expanded inside the container, with its own environment
docker compose exec -T postgres sh -c 'pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction -U "$POSTGRES_USER" -d "$POSTGRES_DB"' <"$source_dir/database.dump"

if [[ -d "$source_dir/bucket" ]]; then
  echo "restore: restoring the bucket from $source_dir/bucket"
  # shellcheck disable=SC2016
  docker compose run --rm --no-deps -v "$source_dir/bucket:/backup:ro" --entrypoint /bin/sh minio-setup -c \
    'mc alias set backoffice "$MINIO_SERVER_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null && mc mirror --overwrite --remove /backup "backoffice/$MINIO_BUCKET"'
fi

echo "restore: starting the app"
docker compose up -d app
echo "restore: done from $source_dir"
