# One image recipe for the three apps; they differ only in the bundle they run.
#   docker build --build-arg APP=message-api       -t realchat/message-api .
#   docker build --build-arg APP=outbox-relay      -t realchat/outbox-relay .
#   docker build --build-arg APP=conversation-stub -t realchat/conversation-stub .
# Node 24 is the active LTS (the build machines run 20.20, which is end of life); the bundles
# target Node 20 syntax, so they run on both.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG APP
RUN case "$APP" in message-api|outbox-relay|conversation-stub) ;; \
      *) echo "build with --build-arg APP=message-api|outbox-relay|conversation-stub" >&2; exit 1 ;; esac
WORKDIR /repo
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
ENV NX_NO_CLOUD=true NX_DAEMON=false
RUN npx nx run "${APP}:build"

FROM ${NODE_IMAGE}
ARG APP
# V8 heap sizing (docs/operations.md "Node flags"): a 4 MB semi-space keeps the young generation
# at 8 MB instead of 32 MB under load; a 192 MB old-space limit makes V8 collect the old
# generation before it fills with garbage (message-api's peak RSS ~111 -> ~85 MB with both) and
# caps the heap below the pods' memory limits. No --enable-source-maps: it keeps the bundle's
# source map in memory (+7-9 MB per app); add it to NODE_OPTIONS when TypeScript positions in
# stack traces are worth that.
ENV NODE_ENV=production NODE_OPTIONS="--max-semi-space-size=4 --max-old-space-size=192"
WORKDIR /app
# Only this app's runtime packages, at the versions package-lock.json pins: the build wrote the
# app's package.json and a package-lock.json pruned from the workspace lock (build-app.mjs).
# Installed first, so that a code-only change reuses this layer. The files stay owned by root:
# the `node` user can read them, not change them (and Kubernetes mounts the root read-only).
COPY --from=build /repo/dist/apps/${APP}/package.json /repo/dist/apps/${APP}/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /repo/dist/apps/${APP}/main.js /repo/dist/apps/${APP}/main.js.map ./
USER node
# message-api: gRPC 50051, HTTP 9465; conversation-stub: gRPC 50052, HTTP 9466; outbox-relay:
# HTTP 9464 (each HTTP port serves /metrics, /healthz, /readyz); see README "Configuration".
EXPOSE 50051 50052 9464 9465 9466
# Node runs as PID 1 and handles SIGTERM itself (runService drains, then exits 0).
CMD ["node", "main.js"]
