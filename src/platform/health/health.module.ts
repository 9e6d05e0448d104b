import { type DynamicModule, type Type, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness-check.js';
import { ShutdownState } from './shutdown-state.js';

@Module({})
export class HealthModule {
  /**
   * `readiness`: the features' own checks of GET /health/ready (e.g. backups), named by the composition root so
   * that this platform module knows no feature; `imports` are the modules that provide them.
   */
  static forRoot(options: {
    imports: DynamicModule['imports'];
    readiness: Type<ReadinessCheck>[];
  }): DynamicModule {
    return {
      module: HealthModule,
      // ShutdownState is read where requests wait (the event feed's long polls end when the shutdown begins).
      global: true,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json', logger: false }), ...(options.imports ?? [])],
      controllers: [HealthController],
      providers: [
        ShutdownState,
        {
          provide: READINESS_CHECKS,
          useFactory: (...checks: ReadinessCheck[]) => checks,
          inject: options.readiness,
        },
      ],
      exports: [ShutdownState],
    };
  }
}
