import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown(): Promise<void> {
  const setup = (await tsImport(
    './database-server-setup.ts',
    import.meta.url,
  )) as typeof import('./database-server-setup.js');
  await setup.stopTestDatabaseServer();
}
