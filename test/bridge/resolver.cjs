/**
 * Jest resolver for Node < 24.9 (see docs/adr/0003-jest-with-esm-nestjs.md).
 *
 * NestJS 12 ships @nestjs/common and @nestjs/core as ES modules only. Five CommonJS libraries we use
 * (nestjs-cls, @nestjs-cls/transactional, @nestjs/throttler, @willsoto/nestjs-prometheus, nest-commander)
 * `require()` them. Plain Node >= 20.19 can require ESM, jest can only from Node 24.9. So when a CommonJS
 * `require` resolves into @nestjs/common or @nestjs/core, we hand back a shim that exports the test's own ESM
 * instance (filled in by preload.ts), which also keeps DI tokens identical on both sides.
 */
const { mkdirSync, writeFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const [major, minor] = process.versions.node.split('.').map(Number);
const nodeRequiresEsm = major > 24 || (major === 24 && minor >= 9);
const NEST_ESM = /[\\/]node_modules[\\/](@nestjs[\\/](?:common|core)[\\/].+\.js)$/;
const shimDir = join(__dirname, '.shims');

module.exports = (request, options) => {
  const resolved = options.defaultResolver(request, options);
  if (nodeRequiresEsm || !options.conditions || !options.conditions.includes('require')) return resolved;
  const match = NEST_ESM.exec(resolved);
  if (!match) return resolved;
  const key = match[1].split('\\').join('/');
  const shim = join(shimDir, `${key.replace(/[\\/]/g, '__')}.cjs`);
  if (!existsSync(shim)) {
    mkdirSync(shimDir, { recursive: true });
    writeFileSync(
      shim,
      `const m = globalThis.__NEST_ESM__ && globalThis.__NEST_ESM__[${JSON.stringify(key)}];\n` +
        `if (!m) throw new Error('test/bridge/preload.ts does not provide ${key}: add it there');\n` +
        `module.exports = m;\n`,
    );
  }
  return shim;
};
