import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import { configureApp } from './app.setup.js';
import { createRootLogger } from './platform/observability/root-logger.js';
import { loadEnvironment } from './platform/config/load-environment.js';
import { openDatabaseServer } from './platform/database/database-endpoints.js';
import { trackHttpServer, type HttpDrain } from './platform/http/http-drain.js';
import { ShutdownState } from './platform/health/shutdown-state.js';

async function main(): Promise<void> {
  const env = loadEnvironment();
  const logger = createRootLogger(env);
  // Installed before anything starts, so a Ctrl-C during start-up still stops the embedded PostgreSQL.
  const service: RunningService = {};
  installGracefulShutdown(service, logger, env.SHUTDOWN_TIMEOUT_MS);

  try {
    service.database = await openDatabaseServer(env, (message) => logger.info(message));
  } catch (error) {
    logger.fatal((error as Error).message);
    process.exit(1);
  }

  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot({ env, database: service.database.endpoints, logger }),
      { bufferLogs: true, bodyParser: false, abortOnError: false },
    );
    await configureApp(app, env);
    const http = trackHttpServer(app.getHttpServer());
    await app.listen(env.PORT, env.HOST);
    service.app = app;
    service.http = http;
  } catch (error) {
    logger.fatal({ err: error }, `start-up failed: ${(error as Error).message}`);
    await service.database.stop();
    process.exit(1);
  }

  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const base = `http://${env.HOST === '0.0.0.0' || env.HOST === '::' ? 'localhost' : env.HOST}:${port}`;
  logger.info(
    { docs: `${base}/docs`, health: `${base}/health`, metrics: `${base}/metrics` },
    `Inventory Enterprise is listening on ${base} (API docs: ${base}/docs, health: ${base}/health)`,
  );
}

/** What has been started so far; filled in as start-up proceeds. */
interface RunningService {
  database?: Awaited<ReturnType<typeof openDatabaseServer>>;
  app?: NestExpressApplication;
  /** Set together with `app`, once it listens. */
  http?: HttpDrain;
}

/**
 * SIGTERM/SIGINT: readiness turns 503, the HTTP server drains (every request that reached it is answered, then
 * the listener and the connections close: src/platform/http/http-drain.ts), then schedulers stop and the pools close
 * (app.close), then the embedded PostgreSQL stops. During start-up only what has started is stopped.
 * SHUTDOWN_TIMEOUT_MS forces the exit.
 */
function installGracefulShutdown(service: RunningService, logger: Logger, timeoutMs: number): void {
  let shuttingDown = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    // `npm start` (nest start) forwards the terminal's SIGINT, so one Ctrl-C arrives twice: a repeated
    // signal keeps the orderly shutdown going; SHUTDOWN_TIMEOUT_MS bounds it.
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info(`${signal} received: finishing in-flight requests, then stopping`);
    const forceExit = setTimeout(() => {
      logger.error(`shutdown did not finish within ${timeoutMs} ms: exiting`);
      process.exit(1);
    }, timeoutMs);
    forceExit.unref();
    try {
      if (service.app && service.http) {
        service.app.get(ShutdownState).begin();
        await service.http.drain();
        await service.app.close();
      }
      await service.database?.stop();
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error during shutdown');
      await service.database?.stop().catch(() => undefined);
      process.exit(1);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.on(signal, (received) => void shutdown(received));
}

await main();
