import { tsImport } from 'tsx/esm/api';

/**
 * Once per `npm run test:reliability`: note the start (the teardown reports the whole run's time), build dist/
 * if src/ changed, and copy it to data/reliability/build, which every service process and CLI run of the suite
 * uses (support/build.ts). Loaded through tsx as in
 * test/support/global-setup.ts (globalSetup runs outside jest's module system).
 */
export default async function globalSetup(): Promise<void> {
  process.env.RELIABILITY_STARTED_AT = String(Date.now());
  const build = (await tsImport('./build.ts', import.meta.url)) as typeof import('./build.js');
  build.snapshotBuild();
}
