import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, isAddressAllowed, parseCidrList, parseHostAsIp, type AddressPolicy, type Resolver } from '../../src/net/address-policy.js';

const NO_PRIVATE: AddressPolicy = { allowPrivate: [] };
const LOCAL_TESTS: AddressPolicy = { allowPrivate: ['127.0.0.1/32'] };

/** A fake DNS: known names resolve to fixed answers, 'broken.example' fails, anything else is NXDOMAIN. */
const DNS: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  'hooks6.example.com': ['2606:2800:220:1:248:1893:25c8:1946'],
  localhost: ['127.0.0.1', '::1'],
  'metadata.example': ['100.100.100.200'],
  'mixed.example': ['93.184.216.34', '10.0.0.5'],
  'mixed6.example': ['2606:2800:220:1:248:1893:25c8:1946', 'fd00::1'],
  'private.example': ['10.0.0.5'],
  'empty.example': [],
  'loopback.example': ['127.0.0.1'],
};
function fakeDns(): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const answer = DNS[hostname];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer;
  };
  return Object.assign(resolve, { calls });
}

describe('checkWebhookUrl refuses hostile webhook URLs', () => {
  const hostile: Array<[url: string, code: string]> = [
    // the Alibaba Cloud metadata service, in any spelling
    ['http://100.100.100.200/latest/meta-data/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://100.100.100.200/latest/meta-data/ram/security-credentials/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://[::ffff:6464:64c8]/latest/meta-data/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://1684300000/', 'InvalidWebhookUrl.BlockedAddress'], // 100.100.100.192
    ['https://metadata.example/latest/meta-data/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://100.64.0.1/', 'InvalidWebhookUrl.BlockedAddress'],
    // loopback, in any spelling
    ['http://localhost/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://[::1]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://[::ffff:127.0.0.1]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://[::ffff:7f00:1]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://[::127.0.0.1]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://[::ffff:0:7f00:1]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://2130706433/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://0x7f.1/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://0x7f000001/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://017700000001/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://0177.0.0.1/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://127.1/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://127.0.1/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://127.0.0.1./', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://127.255.255.254:8443/', 'InvalidWebhookUrl.BlockedAddress'],
    // "this host"
    ['http://0/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://0.0.0.0/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://[::]/', 'InvalidWebhookUrl.BlockedAddress'],
    // private, link-local, cloud metadata of other providers
    ['https://10.0.0.1/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://172.16.0.1/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://172.31.255.255/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://192.168.1.1/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://169.254.169.254/latest/meta-data/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://[::ffff:a9fe:a9fe]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://[fe80::1]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://[fc00::1]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['http://[fd00:ec2::254]/', 'InvalidWebhookUrl.BlockedAddress'],
    // IPv6 forms that embed an IPv4 address
    ['https://[64:ff9b::7f00:1]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://[64:ff9b::5db8:d822]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://[2002:7f00:1::]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'InvalidWebhookUrl.BlockedAddress'],
    // special-purpose, documentation, multicast, reserved, broadcast
    ['https://192.0.0.8/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://192.0.2.1/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://192.88.99.1/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://198.18.0.1/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://198.51.100.7/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://203.0.113.9/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://224.0.0.1/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://240.0.0.1/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://255.255.255.255/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://[ff02::1]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://[2001:db8::1]/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://[100::1]/', 'InvalidWebhookUrl.BlockedAddress'],
    // a hostname with ANY blocked address is refused, even if another one is public
    ['https://mixed.example/', 'InvalidWebhookUrl.BlockedAddress'],
    ['https://mixed6.example/', 'InvalidWebhookUrl.BlockedAddress'],
    // DNS failures fail closed
    ['https://broken.example/', 'InvalidWebhookUrl.Unresolvable'],
    ['https://empty.example/', 'InvalidWebhookUrl.Unresolvable'],
    // credentials, schemes and syntax
    ['http://user:pass@example.com/', 'InvalidWebhookUrl.Credentials'],
    ['https://user:pass@hooks.example.com/', 'InvalidWebhookUrl.Credentials'],
    ['https://token@hooks.example.com/', 'InvalidWebhookUrl.Credentials'],
    ['ftp://x/', 'InvalidWebhookUrl.Scheme'],
    ['file:///etc/passwd', 'InvalidWebhookUrl.Scheme'],
    ['gopher://hooks.example.com:70/', 'InvalidWebhookUrl.Scheme'],
    ['http://hooks.example.com/', 'InvalidWebhookUrl.Scheme'], // https required for public hosts
    ['not a url', 'InvalidWebhookUrl'],
    ['/relative/path', 'InvalidWebhookUrl'],
    ['https://', 'InvalidWebhookUrl'],
  ];

  it.each(hostile)('%s → %s', async (url, code) => {
    const result = await checkWebhookUrl(url, NO_PRIVATE, fakeDns());
    expect(result).toMatchObject({ ok: false, code });
  });

  it('lists at least 30 hostile URLs', () => {
    expect(hostile.length).toBeGreaterThanOrEqual(30);
  });

  it('explains a metadata address with its blocked range', async () => {
    const result = await checkWebhookUrl('http://100.100.100.200/latest/meta-data/', NO_PRIVATE, fakeDns());
    expect(result).toEqual({
      ok: false,
      code: 'InvalidWebhookUrl.BlockedAddress',
      message: expect.stringContaining('100.100.100.200 is in a blocked range (100.64.0.0/10, carrier-grade NAT, holds the cloud metadata service)'),
    });
  });

  it('names the hostname but never the userinfo', async () => {
    const result = await checkWebhookUrl('https://admin:s3cr3t@hooks.example.com/x', NO_PRIVATE, fakeDns());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain('hooks.example.com');
    expect(result.message).not.toMatch(/admin|s3cr3t/);
  });

  it('refuses localhost with the real resolver too (it answers from /etc/hosts)', async () => {
    expect(await checkWebhookUrl('http://localhost/', NO_PRIVATE)).toMatchObject({ ok: false, code: 'InvalidWebhookUrl.BlockedAddress' });
  });

  it('checks IP literals without asking DNS', async () => {
    const dns = fakeDns();
    await checkWebhookUrl('https://0x7f.1/', NO_PRIVATE, dns);
    await checkWebhookUrl('https://[::ffff:a9fe:a9fe]/', NO_PRIVATE, dns);
    await checkWebhookUrl('https://93.184.216.34/', NO_PRIVATE, dns);
    expect(dns.calls).toEqual([]);
  });
});

describe('checkWebhookUrl accepts public https URLs', () => {
  it('accepts a hostname whose every address is public, and drops the fragment', async () => {
    const dns = fakeDns();
    const result = await checkWebhookUrl('https://hooks.example.com/taskhook?tenant=7#frag', NO_PRIVATE, dns);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.url.href).toBe('https://hooks.example.com/taskhook?tenant=7');
    expect(dns.calls).toEqual(['hooks.example.com']);
  });

  it.each(['https://hooks6.example.com/', 'https://93.184.216.34/', 'https://[2606:2800:220:1:248:1893:25c8:1946]:8443/'])('accepts %s', async (url) => {
    expect(await checkWebhookUrl(url, NO_PRIVATE, fakeDns())).toMatchObject({ ok: true });
  });
});

describe('allowPrivate (TASKHOOK_ALLOW_PRIVATE_WEBHOOKS)', () => {
  it('lets http://127.0.0.1:PORT/ through, https not required', async () => {
    const result = await checkWebhookUrl('http://127.0.0.1:8787/hook', LOCAL_TESTS, fakeDns());
    expect(result).toMatchObject({ ok: true });
  });

  it('allows a hostname only if every address is inside the CIDRs', async () => {
    expect(await checkWebhookUrl('http://loopback.example:8787/', LOCAL_TESTS, fakeDns())).toMatchObject({ ok: true });
    // localhost also resolves to ::1, which 127.0.0.1/32 does not cover
    expect(await checkWebhookUrl('http://localhost:8787/', LOCAL_TESTS, fakeDns())).toMatchObject({
      ok: false,
      code: 'InvalidWebhookUrl.BlockedAddress',
      message: expect.stringContaining('::1 is in a blocked range (::1/128, loopback)'),
    });
  });

  it.each(['http://127.0.0.2/', 'http://127.1.0.1/', 'http://100.100.100.200/latest/meta-data/', 'http://169.254.169.254/', 'http://10.0.0.1/'])(
    'still blocks %s',
    async (url) => {
      expect(await checkWebhookUrl(url, LOCAL_TESTS, fakeDns())).toMatchObject({ ok: false, code: 'InvalidWebhookUrl.BlockedAddress' });
    },
  );

  it('never opens the metadata address unless a listed CIDR contains it', async () => {
    const metadata = 'http://100.100.100.200/latest/meta-data/';
    const wideButElsewhere = { allowPrivate: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/16', '127.0.0.0/8'] };
    expect(await checkWebhookUrl(metadata, wideButElsewhere, fakeDns())).toMatchObject({ ok: false, code: 'InvalidWebhookUrl.BlockedAddress' });
    expect(await checkWebhookUrl(metadata, { allowPrivate: ['100.100.100.0/24'] }, fakeDns())).toMatchObject({ ok: true });
  });

  it('requires https for a hostname with public addresses even when some private range is allowed', async () => {
    const policy = { allowPrivate: ['10.0.0.0/8'] };
    expect(await checkWebhookUrl('http://private.example/', policy, fakeDns())).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('http://mixed.example/', policy, fakeDns())).toMatchObject({ ok: false, code: 'InvalidWebhookUrl.Scheme' });
    expect(await checkWebhookUrl('https://mixed.example/', policy, fakeDns())).toMatchObject({ ok: true });
  });

  it('treats ::ffff:127.0.0.1 as the allowed 127.0.0.1', () => {
    expect(isAddressAllowed('::ffff:127.0.0.1', LOCAL_TESTS)).toEqual({ allowed: true });
  });
});

describe('isAddressAllowed', () => {
  it.each([
    ['100.100.100.200', '100.100.100.200 is in a blocked range (100.64.0.0/10, carrier-grade NAT, holds the cloud metadata service)'],
    ['::ffff:100.100.100.200', '::ffff:6464:64c8 is in a blocked range (100.64.0.0/10, carrier-grade NAT, holds the cloud metadata service)'],
    ['169.254.169.254', '169.254.169.254 is in a blocked range (169.254.0.0/16, link-local, holds cloud metadata services)'],
    ['fd00::1', 'fd00::1 is in a blocked range (fc00::/7, unique local (private network))'],
    ['not-an-ip', "'not-an-ip' is not an IP address"],
    ['', "'' is not an IP address"],
  ])('%s → %s', (ip, reason) => {
    expect(isAddressAllowed(ip, NO_PRIVATE)).toEqual({ allowed: false, reason });
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.216.34', '100.128.0.1', '172.32.0.1'])('allows public %s', (ip) => {
    expect(isAddressAllowed(ip, NO_PRIVATE)).toEqual({ allowed: true });
  });

  it('opens only addresses inside the listed CIDRs', () => {
    expect(isAddressAllowed('10.1.2.3', { allowPrivate: ['10.1.0.0/16'] })).toEqual({ allowed: true });
    expect(isAddressAllowed('10.2.0.1', { allowPrivate: ['10.1.0.0/16'] })).toMatchObject({ allowed: false });
  });
});

describe('parseHostAsIp', () => {
  it.each([
    ['2130706433', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['100.100.100.200', '100.100.100.200'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['[::ffff:7f00:1]', '::ffff:7f00:1'],
    ['[0:0:0:0:0:ffff:7f00:1]', '::ffff:7f00:1'],
    ['::ffff:7f00:1', '::ffff:7f00:1'],
    ['[::]', '::'],
    ['[::127.0.0.1]', '::7f00:1'],
    ['[FE80::1]', 'fe80::1'],
    ['fe80::1%eth0', 'fe80::1%eth0'],
  ])('%s → %s', (host, canonical) => {
    expect(parseHostAsIp(host)).toBe(canonical);
  });

  it.each(['example.com', 'localhost', 'cafe.face', 'deadbeef', '1.2.3.4.5', '4294967296', 'a@127.0.0.1', ''])('%s is not an IP literal', (host) => {
    expect(parseHostAsIp(host)).toBeNull();
  });
});

describe('parseCidrList', () => {
  it('splits, trims and drops empty entries', () => {
    expect(parseCidrList('127.0.0.1/32, ::1/128 ,10.0.0.0/8,')).toEqual(['127.0.0.1/32', '::1/128', '10.0.0.0/8']);
    expect(parseCidrList('')).toEqual([]);
    expect(parseCidrList(' , ')).toEqual([]);
  });

  it.each(['10.0.0.0/33', '127.0.0.1', 'localhost/8', '0x7f.1/32', 'fe80::/129', '10.0.0.0/8/8'])('names the bad entry %s', (entry) => {
    expect(() => parseCidrList(`127.0.0.1/32, ${entry}`)).toThrow(`'${entry}' is not a CIDR (example: 127.0.0.1/32)`);
  });
});
