# syntax=docker/dockerfile:1
# openrouter-key-rotator: one image for the worker, the CLI and the codec server.
#   docker build -t openrouter-key-rotator .
#   docker run --rm openrouter-key-rotator --help
# The default command runs the worker; see docs/operations.md for the environment it reads.

# Node.js 24 LTS, pinned by digest (the multi-platform index of the official image) so a rebuild
# gets the same base; the tag says what the digest is. .ci/run tests on the same Node version
# (scripts/ensure-node.sh). To move on: pick a newer tag and its index digest (`docker buildx
# imagetools inspect node:<tag>`), and the same version in scripts/ensure-node.sh.
ARG NODE_IMAGE=node:24.19.0-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df

# All dependencies, for compiling and bundling.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# Compiled JavaScript and the prebuilt workflow bundle (built with the exact @temporalio/worker
# version that runs it, from the same package-lock.json).
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/build-workflow-bundle.ts ./scripts/build-workflow-bundle.ts
RUN npx tsc -p tsconfig.build.json \
  && node --import tsx scripts/build-workflow-bundle.ts dist/workflow-bundle.js

# Production dependencies only (tsx is one: bin/key-rotator.js registers it).
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    KEY_ROTATOR_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY --from=build /app/dist ./dist
COPY deploy/healthcheck.js ./deploy/healthcheck.js
# /data: a writable home for `file` destinations and other worker state (mount a volume there).
RUN mkdir -p /data && chown node:node /data
USER node
# Probes the worker's Prometheus endpoint when KEY_ROTATOR_METRICS_ADDRESS is set; other commands
# (CLI, codec server) report healthy, or get their own probe in docker-compose.yml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "deploy/healthcheck.js"]
ENTRYPOINT ["node", "bin/key-rotator.js"]
CMD ["worker"]
