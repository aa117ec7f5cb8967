# syntax=docker/dockerfile:1
# Backoffice image. Targets:
#   dev     – all dependencies, sources mounted by compose.yml, `tsx watch` hot reload (local mode)
#   runtime – (default, last stage) compiled dist/, production dependencies only, non-root user
# The server migrates the database in its primary process before any worker listens, so the
# container never serves an unmigrated schema.
# No dependency compiles anything (no python3, g++ or node-gyp): the slim image is enough.

# Node.js 24, an LTS line (supported until April 2028). CI builds FROM a local stand-in of this
# image (test/image/base-images.sh), passed as --build-arg NODE_IMAGE.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force

FROM deps AS dev
ENV NODE_ENV=development
COPY . .
EXPOSE 8000
CMD ["npm", "run", "dev"]

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# The production dependencies: the same install, pruned (no second download).
FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# One glibc malloc arena: see WORKER_ENV in src/server.ts (the workers get it anyway; this covers
# WEB_CONCURRENCY=1).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=1 \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY seeds ./seeds
RUN mkdir -p /app/data && chown node:node /app/data
# The `node` user (uid 1000) ships with the official image.
USER node
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/api/health/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/server.js"]
