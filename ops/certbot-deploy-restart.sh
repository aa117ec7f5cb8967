#!/usr/bin/env bash
# certbot "deploy" renewal hook (runs only after a certificate was renewed): restarts nginx and
# minio so that they load the new certificate.
# Install: sudo cp ops/certbot-deploy-restart.sh /etc/letsencrypt/renewal-hooks/deploy/
# The compose directory comes from BACKOFFICE_DIR (default /srv/backend).
set -euo pipefail

dir="${BACKOFFICE_DIR:-/srv/backend}"
cd "$dir"
echo "certbot deploy hook: restarting nginx and minio in $dir with the renewed certificate"
docker compose restart nginx minio
echo "certbot deploy hook: nginx and minio restarted"
