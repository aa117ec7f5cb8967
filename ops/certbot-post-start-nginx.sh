#!/usr/bin/env bash
# certbot "post" renewal hook (runs after every renewal attempt, renewed or not): starts nginx
# again, so that a failed or skipped renewal never leaves the site down after the pre hook.
# Install: sudo cp ops/certbot-post-start-nginx.sh /etc/letsencrypt/renewal-hooks/post/
# The compose directory comes from BACKOFFICE_DIR (default /srv/backend).
set -euo pipefail

dir="${BACKOFFICE_DIR:-/srv/backend}"
cd "$dir"
echo "certbot post hook: starting nginx in $dir"
docker compose start nginx
echo "certbot post hook: nginx running"
