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
ENV NODE_ENV=production
WORKDIR /app
# Runtime dependencies at the versions package-lock.json pins.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /repo/dist/apps/${APP} ./
USER node
# message-api listens on 50051 (gRPC), conversation-stub on 50052 (gRPC), outbox-relay on 9464
# (/metrics, /healthz, /readyz); see README "Configuration".
EXPOSE 50051 50052 9464
CMD ["node", "--enable-source-maps", "main.js"]
