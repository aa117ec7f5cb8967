#!/usr/bin/env bash
# Nightly cron job: deletes expired outstanding refresh tokens and their blacklist rows
# (`flush-expired-tokens` in the running app container) and logs the counts with a timestamp.
# crontab: 0 3 * * * BACKOFFICE_DIR=/srv/backend /srv/backend/ops/delete_expired.sh >> /srv/backend/logs/cron.log 2>&1
set -euo pipefail

dir="${BACKOFFICE_DIR:-/srv/backend}"
cd "$dir"
stamp() { date -u +%Y-%m-%dT%H:%M:%SZ; }
echo "$(stamp) delete_expired: flushing expired tokens in $dir"
result="$(docker compose exec -T app node dist/cli.js flush-expired-tokens)"
echo "$(stamp) delete_expired: $result"
