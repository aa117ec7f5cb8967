#!/usr/bin/env bash
# Backs up the database (pg_dump, custom format) and the MinIO bucket (mc mirror) into a new
# timestamped folder, and prints where. Keeps the newest BACKUP_KEEP backups (default 14).
# Usage: BACKOFFICE_DIR=/srv/backend ops/backup.sh
#   BACKUP_DIR   where backups go (default $BACKOFFICE_DIR/backups)
#   BACKUP_KEEP  how many backups to keep (default 14; 0 keeps all)
set -euo pipefail

dir="${BACKOFFICE_DIR:-/srv/backend}"
root="${BACKUP_DIR:-$dir/backups}"
keep="${BACKUP_KEEP:-14}"
cd "$dir"

target="$root/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$target/bucket"
echo "backup: writing to $target"
trap 'echo "backup: FAILED (see above); $target is incomplete" >&2' ERR

echo "backup: dumping the database"
# shellcheck disable=SC2016 # expanded inside the container, with its own environment
docker compose exec -T postgres sh -c 'pg_dump --format=custom --no-owner --no-privileges -U "$POSTGRES_USER" "$POSTGRES_DB"' >"$target/database.dump"
echo "backup: database.dump, $(wc -c <"$target/database.dump" | tr -d ' ') bytes"

echo "backup: mirroring the bucket"
# shellcheck disable=SC2016
# The container runs as root: hand the mirrored files to whoever runs this script.
docker compose run --rm --no-deps -v "$target/bucket:/backup" -e "BACKUP_OWNER=$(id -u):$(id -g)" --entrypoint /bin/sh minio-setup -c \
  'mc alias set backoffice "$MINIO_SERVER_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null && mc mirror --overwrite "backoffice/$MINIO_BUCKET" /backup && chown -R "$BACKUP_OWNER" /backup'
echo "backup: bucket/, $(find "$target/bucket" -type f | wc -l | tr -d ' ') file(s)"

if (( keep > 0 )); then
  mapfile -t old < <(find "$root" -mindepth 1 -maxdepth 1 -type d -name '20*' | sort -r | tail -n +$((keep + 1)))
  for backup in "${old[@]}"; do
    rm -rf -- "$backup"
    echo "backup: removed old backup $backup"
  done
fi
echo "backup: done: $target"
