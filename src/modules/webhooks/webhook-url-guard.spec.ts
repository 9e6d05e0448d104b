import { describe, expect, it } from '@jest/globals';
import type { ConfigService } from '@nestjs/config';
import type { Environment } from '../../platform/config/environment.js';
import { WebhookUrlGuard } from './webhook-url-guard.js';

function guard(allowPrivate = false): WebhookUrlGuard {
  const config = { get: () => allowPrivate } as unknown as ConfigService<Environment, true>;
  return new WebhookUrlGuard(config);
}

describe('WebhookUrlGuard (IP literals: no DNS involved)', () => {
  it.each(['https://1.1.1.1/hook', 'http://93.184.216.34:8080/hook', 'https://[2606:4700:4700::1111]/hook'])(
    'accepts the public address %s',
    async (url) => {
      expect(await guard().check(url)).toEqual({ ok: true });
    },
  );

  it.each([
    'http://127.0.0.1/hook',
    'http://10.1.2.3/hook',
    'http://172.20.0.1/hook',
    'http://192.168.1.1/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://100.64.0.1/hook',
    'http://0.0.0.0/hook',
    'http://[::1]/hook',
    'http://[fe80::1]/hook',
    'http://[fd00::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::ffff:10.0.0.1]/hook',
  ])('refuses the private, loopback or link-local address %s', async (url) => {
    const verdict = await guard().check(url);
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringContaining('private') });
  });

  it('refuses other schemes and credentials, and allows private targets only when configured', async () => {
    expect(await guard().check('ftp://1.1.1.1/x')).toEqual({ ok: false, reason: 'only http and https' });
    expect(await guard().check('https://user:pw@1.1.1.1/x')).toMatchObject({ ok: false });
    expect(await guard(true).check('http://127.0.0.1/hook')).toEqual({ ok: true });
  });
});
