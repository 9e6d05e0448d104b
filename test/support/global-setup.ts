import { tsImport } from 'tsx/esm/api';

/**
 * Jest runs globalSetup outside its module system, so `moduleNameMapper` does not apply and relative `./x.js`
 * imports of TypeScript sources cannot resolve. tsx's scoped tsImport loads the real setup (and the src/ code
 * it uses) without changing the global loader. See docs/adr/0003-jest-with-esm-nestjs.md.
 */
export default async function globalSetup(): Promise<void> {
  const setup = (await tsImport(
    './database-server-setup.ts',
    import.meta.url,
  )) as typeof import('./database-server-setup.js');
  await setup.startTestDatabaseServer();
}
