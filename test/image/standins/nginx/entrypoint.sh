#!/bin/sh
# The official nginx image's entrypoint steps used here: 15-local-resolvers.envsh and
# 20-envsubst-on-templates.sh. Each
# /etc/nginx/templates/NAME.template becomes /etc/nginx/conf.d/NAME, with envsubst replacing only
# the environment variables whose names match NGINX_ENVSUBST_FILTER (all of them when unset).
set -eu
templates=/etc/nginx/templates
out=/etc/nginx/conf.d
# 15-local-resolvers.envsh: the nameservers of /etc/resolv.conf, when asked for.
if [ -n "${NGINX_ENTRYPOINT_LOCAL_RESOLVERS:-}" ]; then
  NGINX_LOCAL_RESOLVERS="$(awk 'BEGIN { ORS = " " } $1 == "nameserver" { print ($2 ~ ":") ? "[" $2 "]" : $2 }' /etc/resolv.conf)"
  NGINX_LOCAL_RESOLVERS="${NGINX_LOCAL_RESOLVERS% }"
  export NGINX_LOCAL_RESOLVERS
fi
if [ "${1:-}" = nginx ] && [ -d "$templates" ]; then
  filter="${NGINX_ENVSUBST_FILTER:-}"
  names="$(awk "END { for (name in ENVIRON) { print (name ~ /${filter}/) ? name : \"\" } }" </dev/null)"
  defined=""
  for name in $names; do defined="$defined\${$name} "; done
  for template in "$templates"/*.template; do
    [ -f "$template" ] || continue
    target="$out/$(basename "$template" .template)"
    echo "$0: rendering $template to $target"
    envsubst "$defined" <"$template" >"$target"
  done
fi
exec "$@"
