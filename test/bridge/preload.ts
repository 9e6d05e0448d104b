/**
 * Fills the table that test/bridge/resolver.cjs hands to CommonJS libraries requiring @nestjs/common or
 * @nestjs/core. Static imports on purpose: dynamic import() here broke jest's loader. The list is every
 * `require("@nestjs/...")` path found in node_modules; a missing one fails loudly with its name. On Node >= 24.9
 * the resolver is a no-op and importing common and core first is all this file needs to do.
 */
import * as common from '@nestjs/common';
import * as commonConstants from '@nestjs/common/constants.js';
import * as core from '@nestjs/core';
import * as unknownDependencies from '@nestjs/core/errors/exceptions/unknown-dependencies.exception.js';
import * as injectorConstants from '@nestjs/core/injector/constants.js';
import * as injector from '@nestjs/core/injector/injector.js';

(globalThis as { __NEST_ESM__?: Record<string, unknown> }).__NEST_ESM__ = {
  '@nestjs/common/index.js': common,
  '@nestjs/common/constants.js': commonConstants,
  '@nestjs/core/index.js': core,
  '@nestjs/core/errors/exceptions/unknown-dependencies.exception.js': unknownDependencies,
  '@nestjs/core/injector/constants.js': injectorConstants,
  '@nestjs/core/injector/injector.js': injector,
};
