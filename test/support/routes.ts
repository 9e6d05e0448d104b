import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  ACCESS_RULE,
  type AccessRule,
  describeAccessRule,
} from '../../src/platform/access/access.decorators.js';

export interface RouteInfo {
  method: string;
  /** Express path template, e.g. /api/users/:id */
  path: string;
  rule: AccessRule | undefined;
  /** `GET /api/users/:id -> users:read` */
  signature: string;
}

function joinPath(...parts: Array<string | string[] | undefined>): string {
  const segments = parts
    .map((part) => (Array.isArray(part) ? part[0] : part))
    .filter((part): part is string => typeof part === 'string' && part !== '' && part !== '/')
    .map((part) => part.replace(/^\/+|\/+$/g, ''));
  return `/${segments.join('/')}`;
}

/**
 * Every route of the running app with its access rule, read from Nest's controller metadata (the app must
 * import DiscoveryModule). New modules' routes show up here without anyone listing them.
 */
export function listRoutes(app: NestExpressApplication): RouteInfo[] {
  const discovery = app.get(DiscoveryService);
  const reflector = app.get(Reflector);
  const scanner = new MetadataScanner();
  const routes: RouteInfo[] = [];
  for (const wrapper of discovery.getControllers()) {
    const { instance, metatype } = wrapper;
    if (!instance || !metatype) continue;
    const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
    const controllerPath = Reflect.getMetadata(PATH_METADATA, metatype) as string | string[] | undefined;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as (...args: unknown[]) => unknown;
      const methodPath = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
      const requestMethod = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (methodPath === undefined || requestMethod === undefined) continue;
      const rule = reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [handler, metatype]);
      const method = RequestMethod[requestMethod];
      const path = joinPath(controllerPath, methodPath);
      routes.push({ method, path, rule, signature: `${method} ${path} -> ${describeAccessRule(rule)}` });
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

/** The (method, path) pairs Express actually routes, to prove listRoutes() misses nothing. */
export function expressRoutes(app: NestExpressApplication): string[] {
  const router = (app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } }).router;
  return router.stack
    .filter((layer) => layer.route?.path && !layer.route.path.includes('*'))
    .flatMap((layer) =>
      Object.keys(layer.route!.methods)
        .filter((method) => method !== '_all')
        .map((method) => `${method.toUpperCase()} ${layer.route!.path}`),
    )
    .filter((route) => !/ \/docs/.test(route))
    .sort();
}

interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean> };
}
