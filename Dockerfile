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

# The product as JavaScript (scripts/build-product.ts): the CLI, worker, codec server and what they
# import, compiled to dist/ with the prebuilt workflow bundle (built with the exact
# @temporalio/worker version that runs it, from the same package-lock.json). src/demo (`npm start`)
# and src/dev (a local Temporal dev server) are development tools and are not built.
# The OpenRouter emulator is built in on purpose: `key-rotator emulator` is a command of the CLI
# (README), a fake OpenRouter lets an operator try a deployment end to end before it touches real
# keys, it needs nothing beyond Node.js, and it runs only when asked to (bound to 127.0.0.1 unless
# told otherwise; the default worker policy sends management keys to https://openrouter.ai only).
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/build-product.ts scripts/build-stamp.js scripts/build-stamp.d.ts scripts/build-workflow-bundle.ts ./scripts/
RUN npm run build

# Production dependencies only: no TypeScript, no tsx (the image runs compiled JavaScript).
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    KEY_ROTATOR_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
# package.json: "type": "module" makes Node load dist/*.js as ES modules. No src/: bin/key-rotator.js
# then runs dist/ (and would run nothing else).
COPY package.json ./
COPY bin ./bin
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
