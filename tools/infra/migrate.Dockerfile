# One-shot migration job (docker compose service `migrate`): applies prisma/migrations.
FROM node:24-bookworm-slim AS build
WORKDIR /repo
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
ENV NX_NO_CLOUD=true NX_DAEMON=false
RUN npx nx run-many -t generate && npx esbuild tools/infra/src/migrate-cli.ts --bundle --platform=node \
      --target=node20 --packages=external --tsconfig=tsconfig.base.json --outfile=dist/migrate/main.js

FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /repo/dist/migrate ./dist/migrate
COPY prisma/migrations ./prisma/migrations
ENV REALCHAT_MIGRATIONS_DIR=/app/prisma/migrations
USER node
CMD ["node", "dist/migrate/main.js"]
