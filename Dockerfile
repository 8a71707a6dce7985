# syntax=docker/dockerfile:1
# One image for the worker and the gateway; the command picks the role:
#   worker:  node dist/worker/main.js           (the default)
#   gateway: node dist/gateway/main.js
# The admin CLI is on PATH: `docker compose exec gateway refinery api-key create --user svc-1`.
# Node: the major the tests run on (scripts/ensure-node.sh); pin a digest when you publish.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# No compiler needed: every native module ships prebuilt (better-sqlite3 13 as Node-API prebuilds),
# and package.json's allowScripts runs no install script.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.js scripts/build-state.js ./scripts/
COPY src ./src
COPY web ./web
# The compiled runtime, the prebuilt workflow bundle (dist/workflow-bundle.js) and the web page
# (dist/web, served by the gateway at /), then runtime deps only.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    GATEWAY_PORT=8080 \
    WORKER_HEALTH_PORT=8081 \
    IMAGE_STORE_ROOT=/data/images \
    SQLITE_FILE=/data/refinery.sqlite \
    NODE_COMPILE_CACHE=/tmp/node-compile-cache
# A non-root user that owns the one folder it writes. A named volume mounted on /data or
# /data/images starts as a copy of this folder, ownership included, so the first upload can write.
RUN groupadd --system --gid 10001 refinery \
 && useradd --system --uid 10001 --gid refinery --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin refinery \
 && mkdir -p /data/images \
 && chown -R refinery:refinery /data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
RUN ln -s /app/bin/refinery.js /usr/local/bin/refinery
USER refinery:refinery
VOLUME ["/data"]
# 8080: the gateway's API; 8081: the worker's /livez and /readyz.
EXPOSE 8080 8081
# One HEALTHCHECK for both roles: bin/healthcheck.js asks the gateway's /healthz or the worker's
# /livez, whichever process this container runs.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/bin/healthcheck.js"]
CMD ["node", "dist/worker/main.js"]
