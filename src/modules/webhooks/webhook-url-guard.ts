import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { Environment } from '../../platform/config/environment.js';

/** Loopback, private, link-local, carrier-grade NAT, "this network", multicast and reserved ranges. */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  // No '::ffff:0:0/96' here: BlockList matches every IPv4 address against such a rule (it would refuse all of
  // them), and it already checks IPv4-mapped IPv6 addresses against the IPv4 rules above.
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

export type UrlVerdict = { ok: true } | { ok: false; reason: string };

/**
 * SSRF guard for webhook URLs: http(s) only, no credentials in the URL, and no private, loopback or link-local
 * target unless WEBHOOK_ALLOW_PRIVATE_NETWORKS. Checked at creation and again before every send (DNS can change).
 */
@Injectable()
export class WebhookUrlGuard {
  private readonly allowPrivate: boolean;

  constructor(config: ConfigService<Environment, true>) {
    this.allowPrivate = config.get('WEBHOOK_ALLOW_PRIVATE_NETWORKS', { infer: true });
  }

  async check(raw: string): Promise<UrlVerdict> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { ok: false, reason: 'not a valid URL' };
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      return { ok: false, reason: 'only http and https' };
    if (url.username || url.password) return { ok: false, reason: 'credentials in the URL are not allowed' };
    if (this.allowPrivate) return { ok: true };
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: string[];
    try {
      addresses = isIP(host)
        ? [host]
        : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      return { ok: false, reason: `cannot resolve ${host}` };
    }
    const blocked = addresses.find((address) =>
      PRIVATE.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4'),
    );
    return blocked
      ? { ok: false, reason: `${host} resolves to ${blocked}, a private, loopback or link-local address` }
      : { ok: true };
  }
}
