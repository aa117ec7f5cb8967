#!/usr/bin/env bash
# certbot "pre" renewal hook: stops the nginx container so that certbot's standalone server
# can bind port 80. Install: sudo cp ops/certbot-pre-stop-nginx.sh /etc/letsencrypt/renewal-hooks/pre/
# The compose directory comes from BACKOFFICE_DIR (default /srv/backend).
set -euo pipefail

dir="${BACKOFFICE_DIR:-/srv/backend}"
cd "$dir"
echo "certbot pre hook: stopping nginx in $dir to free port 80"
docker compose stop nginx
echo "certbot pre hook: nginx stopped"
