import type { LookupAddress, LookupAllOptions } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '#shared/errors.ts';
import {
  checkAddress,
  createGuardedLookup,
  DestinationRefusedError,
  validateAllowlist,
  validatePostUrl,
  type DestinationPolicy,
  type Resolver,
} from '#shared/destination.ts';

/**
 * Destination safety (§5). Everything here is pure: URLs are parsed and addresses classified,
 * and the guarded lookup runs on an injected resolver, so no test opens a connection.
 */
const STRICT: DestinationPolicy = { allowLoopbackHttp: false, allowlist: [] };
const LOCAL: DestinationPolicy = { allowLoopbackHttp: true, allowlist: [] };
const ALLOWLISTED: DestinationPolicy = { allowLoopbackHttp: false, allowlist: ['10.1.0.0/16', 'fd00:1::/32', '192.168.7.7'] };

describe('checkAddress', () => {
  describe('refuses every non-public IPv4 range', () => {
    it.each([
      ['0.0.0.0', '0.0.0.0/8'],
      ['0.255.255.255', '0.0.0.0/8'],
      ['10.0.0.0', '10.0.0.0/8'],
      ['10.255.255.255', '10.0.0.0/8'],
      ['100.64.0.0', '100.64.0.0/10'],
      ['100.127.255.255', '100.64.0.0/10'],
      ['127.0.0.1', '127.0.0.0/8'],
      ['127.255.255.254', '127.0.0.0/8'],
      ['169.254.0.1', '169.254.0.0/16'],
      ['169.254.169.254', '169.254.0.0/16'],
      ['172.16.0.0', '172.16.0.0/12'],
      ['172.31.255.255', '172.16.0.0/12'],
      ['192.0.0.8', '192.0.0.0/24'],
      ['192.0.2.1', '192.0.2.0/24'],
      ['192.88.99.1', '192.88.99.0/24'],
      ['192.168.0.1', '192.168.0.0/16'],
      ['192.168.255.255', '192.168.0.0/16'],
      ['198.18.0.1', '198.18.0.0/15'],
      ['198.19.255.255', '198.18.0.0/15'],
      ['198.51.100.7', '198.51.100.0/24'],
      ['203.0.113.9', '203.0.113.0/24'],
      ['224.0.0.1', '224.0.0.0/4'],
      ['239.255.255.250', '224.0.0.0/4'],
      ['240.0.0.1', '240.0.0.0/4'],
      ['255.255.255.254', '240.0.0.0/4'],
      ['255.255.255.255', '255.255.255.255/32'],
    ])('%s (%s)', (ip, cidr) => {
      expect(checkAddress(ip, STRICT)).toEqual({ allowed: false, reason: expect.stringContaining(`(${cidr})`) });
      expect(checkAddress(ip, STRICT)).toEqual({ allowed: false, reason: expect.stringContaining(ip) });
    });
  });

  describe('allows public IPv4, including the neighbours of every refused range', () => {
    it.each([
      '8.8.8.8',
      '1.1.1.1',
      '93.184.216.34',
      '1.0.0.0',
      '9.255.255.255',
      '11.0.0.0',
      '100.63.255.255',
      '100.128.0.0',
      '126.255.255.255',
      '128.0.0.0',
      '169.253.255.255',
      '169.255.0.0',
      '172.15.255.255',
      '172.32.0.0',
      '192.0.1.1',
      '192.0.3.1',
      '192.88.98.1',
      '192.167.255.255',
      '192.169.0.0',
      '198.17.255.255',
      '198.20.0.0',
      '198.51.99.1',
      '203.0.112.1',
      '223.255.255.255',
    ])('%s', (ip) => {
      expect(checkAddress(ip, STRICT)).toEqual({ allowed: true });
    });
  });

  describe('refuses every non-public IPv6 range and IPv4 embedded in IPv6', () => {
    it.each([
      ['::', '::/128'],
      ['::1', '::1/128'],
      ['[::1]', '::1/128'],
      ['0:0:0:0:0:0:0:1', '::1/128'],
      ['::ffff:127.0.0.1', '127.0.0.0/8'],
      ['::ffff:7f00:1', '127.0.0.0/8'],
      ['::ffff:a9fe:a9fe', '169.254.0.0/16'],
      ['::ffff:169.254.169.254', '169.254.0.0/16'],
      ['0:0:0:0:0:ffff:a9fe:a9fe', '169.254.0.0/16'],
      ['::ffff:10.0.0.1', '10.0.0.0/8'],
      ['::ffff:0.0.0.0', '0.0.0.0/8'],
      ['::ffff:c0a8:101', '192.168.0.0/16'],
      ['64:ff9b::a9fe:a9fe', '169.254.0.0/16'],
      ['64:ff9b::10.0.0.1', '10.0.0.0/8'],
      ['64:ff9b::7f00:1', '127.0.0.0/8'],
      ['64:ff9b:1::808:808', '64:ff9b:1::/48'],
      ['::7f00:1', '::/96'],
      ['::127.0.0.1', '::/96'],
      ['::8.8.8.8', '::/96'],
      ['100::1', '100::/64'],
      ['2001::1', '2001::/23'],
      ['2001:2::1', '2001::/23'],
      ['2001:1ff:ffff::1', '2001::/23'],
      ['2001:db8::1', '2001:db8::/32'],
      ['2002:a9fe:a9fe::1', '2002::/16'],
      ['2002:808:808::1', '2002::/16'],
      ['3fff::1', '3fff::/20'],
      ['fc00::1', 'fc00::/7'],
      ['fd12:3456::1', 'fc00::/7'],
      ['fe80::1', 'fe80::/10'],
      ['fe80::1%eth0', 'fe80::/10'],
      ['febf::1', 'fe80::/10'],
      ['fec0::1', 'fec0::/10'],
      ['ff02::1', 'ff00::/8'],
      ['ff0e::1', 'ff00::/8'],
      ['1::1', '2000::/3'],
      ['4000::1', '2000::/3'],
    ])('%s (%s)', (ip, cidr) => {
      expect(checkAddress(ip, STRICT)).toEqual({ allowed: false, reason: expect.stringContaining(cidr) });
    });

    it('says which IPv4 address a mapped address embeds', () => {
      expect(checkAddress('::ffff:a9fe:a9fe', STRICT)).toEqual({
        allowed: false,
        reason: '::ffff:a9fe:a9fe is the IPv4-mapped form of 169.254.169.254, a link-local address (this range holds the instance metadata service) (169.254.0.0/16)',
      });
    });
  });

  describe('allows public IPv6, and public IPv4 embedded in mapped and NAT64 forms', () => {
    it.each([
      '2606:4700:4700::1111',
      '2001:4860:4860::8888',
      '[2a00:1450:4001::1]',
      '2001:200::1',
      '::ffff:8.8.8.8',
      '::ffff:808:808',
      '64:ff9b::808:808',
      '64:ff9b::8.8.8.8',
    ])('%s', (ip) => {
      expect(checkAddress(ip, STRICT)).toEqual({ allowed: true });
    });
  });

  describe('refuses what is not an IP address', () => {
    it.each(['example.com', '0177.0.0.1', '127.1', '2130706433', '', '1.2.3.4.5', '[::1'])('%j', (value) => {
      expect(checkAddress(value, LOCAL)).toEqual({ allowed: false, reason: expect.stringContaining('is not an IP address') });
    });

    it('caps the echoed input', () => {
      const verdict = checkAddress('x'.repeat(100_000), STRICT);
      expect(verdict.allowed).toBe(false);
      expect(!verdict.allowed && verdict.reason.length).toBeLessThan(200);
    });
  });

  describe('allowlist overrides refusals, and only for its ranges', () => {
    it.each(['10.1.0.1', '10.1.255.255', '::ffff:10.1.2.3', 'fd00:1::5', 'fd00:1:ffff::1', '192.168.7.7'])('allows %s', (ip) => {
      expect(checkAddress(ip, ALLOWLISTED)).toEqual({ allowed: true });
    });

    it.each(['10.2.0.1', '10.0.255.255', '169.254.169.254', '127.0.0.1', 'fd00:2::1', '192.168.7.8', '::1'])('still refuses %s', (ip) => {
      expect(checkAddress(ip, ALLOWLISTED).allowed).toBe(false);
    });

    it.each(['not-a-cidr', '10.0.0.0/33', '10.0.0.0/8/8', 'fd00::/129', '10.0.0.0/x', '300.0.0.0/8'])(
      'rejects the invalid entry %j',
      (entry) => {
        expect(() => validateAllowlist([entry])).toThrow('invalid CIDR');
        expect(() => checkAddress('8.8.8.8', { allowLoopbackHttp: false, allowlist: [entry] })).toThrow('invalid CIDR');
      },
    );

    it('accepts CIDRs and single addresses of both families', () => {
      expect(() => validateAllowlist(['10.0.0.0/8', ' 192.168.1.1 ', 'fd00::/8', '::1', '0.0.0.0/0'])).not.toThrow();
    });
  });

  describe('local policy allows loopback and nothing else beyond §5', () => {
    it.each(['127.0.0.1', '127.9.9.9', '::1', '[::1]', '::ffff:127.0.0.1', '::ffff:7f00:1'])('allows %s', (ip) => {
      expect(checkAddress(ip, LOCAL)).toEqual({ allowed: true });
    });

    it.each([
      '10.0.0.1',
      '169.254.169.254',
      '::ffff:a9fe:a9fe',
      '0.0.0.0',
      '::',
      'fe80::1',
      '192.168.1.1',
      // Loopback reached through NAT64 or the deprecated compatible form is not "loopback".
      '64:ff9b::7f00:1',
      '::127.0.0.1',
    ])('still refuses %s', (ip) => {
      expect(checkAddress(ip, LOCAL).allowed).toBe(false);
    });
  });
});

describe('validatePostUrl', () => {
  const refusal = (raw: unknown, policy: DestinationPolicy): InvalidArgumentError => {
    try {
      validatePostUrl(raw, policy);
    } catch (err) {
      if (err instanceof InvalidArgumentError) return err;
      throw err;
    }
    throw new Error(`expected ${JSON.stringify(raw)} to be refused`);
  };

  describe('accepts public https URLs, returned as given', () => {
    it.each([
      'https://hooks.example.com/receiver',
      'https://hooks.example.com',
      'https://HOOKS.Example.com:8443/a/b?c=d&e=f#frag',
      'https://8.8.8.8/hook',
      'https://[2606:4700:4700::1111]/hook',
      'https://[::ffff:8.8.8.8]/',
      'https://xn--nxasmq6b.com/',
      'https://例え.jp/フック',
      `https://hooks.example.com/${'a'.repeat(1024 - 'https://hooks.example.com/'.length)}`,
      // 1024 code points, 2047 UTF-16 units: characters are code points (§2).
      `https://hooks.example.com/${'😀'.repeat(1024 - 'https://hooks.example.com/'.length)}`,
    ])('%s', (url) => {
      expect(validatePostUrl(url, STRICT)).toBe(url);
    });
  });

  describe('refuses malformed input', () => {
    it.each([
      ['a number', 42, 'must be a string'],
      ['null', null, 'must be a string'],
      ['undefined', undefined, 'must be a string'],
      ['an object', { href: 'https://hooks.example.com/' }, 'must be a string'],
      ['1025 characters', `https://hooks.example.com/${'a'.repeat(1025 - 'https://hooks.example.com/'.length)}`, 'must be at most 1024 characters'],
      ['a relative path', '/hook', 'must be an absolute URL'],
      ['a bare host', 'hooks.example.com', 'must be an absolute URL'],
      ['an empty string', '', 'must be an absolute URL'],
      ['an invalid IPv4 host', 'https://1.2.3.4.5/', 'must be an absolute URL'],
      ['an IPv6 zone', 'https://[fe80::1%25eth0]/', 'must be an absolute URL'],
      ['a newline in the host', 'https://hooks.exa\nmple.com/', 'must not contain control characters or surrounding whitespace'],
      ['a tab', 'https://hooks.example.com/\thook', 'must not contain control characters or surrounding whitespace'],
      ['a leading space', ' https://hooks.example.com/', 'must not contain control characters or surrounding whitespace'],
      ['a trailing space', 'https://hooks.example.com/ ', 'must not contain control characters or surrounding whitespace'],
      ['a NUL', 'https://hooks.example.com/\u0000', 'must not contain control characters or surrounding whitespace'],
    ])('%s', (_label, raw, message) => {
      const err = refusal(raw, STRICT);
      expect(err.message).toBe(`destination.postUrl ${message}`);
      expect(err.statusCode).toBe(400);
    });

    it('never echoes huge input', () => {
      const err = refusal(`https://${'a'.repeat(1_000_000)}.com/`, STRICT);
      expect(err.message).toBe('destination.postUrl must be at most 1024 characters');
    });
  });

  describe('refuses schemes other than https', () => {
    it.each([
      'http://hooks.example.com/',
      'HTTP://hooks.example.com/',
      'ftp://hooks.example.com/',
      'ws://hooks.example.com/',
      'wss://hooks.example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:text/plain,hi',
      'gopher://hooks.example.com/',
      'http://127.0.0.1/',
      'http://localhost/',
    ])('%s', (url) => {
      expect(refusal(url, STRICT).message).toBe('destination.postUrl must use https');
    });
  });

  describe('refuses credentials without echoing them', () => {
    it.each([
      'https://user:hunter2@hooks.example.com/',
      'https://user@hooks.example.com/',
      'https://:hunter2@hooks.example.com/',
    ])('%s', (url) => {
      const err = refusal(url, STRICT);
      expect(err.message).toBe('destination.postUrl must not contain credentials');
    });
  });

  describe('refuses localhost names', () => {
    it.each([
      'https://localhost/',
      'https://LOCALHOST:8443/',
      'https://localhost./',
      'https://api.localhost/',
      'https://a.b.localhost./',
    ])('%s', (url) => {
      expect(refusal(url, STRICT).message).toMatch(/^destination\.postUrl must not point at ".*localhost\.?": it is a loopback name$/);
    });
  });

  describe('refuses non-public IP literals in every encoding the URL parser normalises', () => {
    it.each([
      ['https://127.0.0.1/', '127.0.0.0/8'],
      ['https://2130706433/', '127.0.0.0/8'],
      ['https://0x7f000001/', '127.0.0.0/8'],
      ['https://0177.0.0.1/', '127.0.0.0/8'],
      ['https://127.1/', '127.0.0.0/8'],
      ['https://0x7f.1/', '127.0.0.0/8'],
      ['https://127.0.0.1./', '127.0.0.0/8'],
      ['https://%31%32%37.0.0.1/', '127.0.0.0/8'],
      ['https://167772161/', '10.0.0.0/8'],
      ['https://0xa9fea9fe/', '169.254.0.0/16'],
      ['https://169.254.169.254/latest/meta-data/', '169.254.0.0/16'],
      ['https://0.0.0.0/', '0.0.0.0/8'],
      ['https://0/', '0.0.0.0/8'],
      ['https://100.64.0.1/', '100.64.0.0/10'],
      ['https://172.16.0.1/', '172.16.0.0/12'],
      ['https://192.168.1.1/', '192.168.0.0/16'],
      ['https://198.18.0.1/', '198.18.0.0/15'],
      ['https://224.0.0.1/', '224.0.0.0/4'],
      ['https://255.255.255.255/', '255.255.255.255/32'],
      ['https://[::1]/', '::1/128'],
      ['https://[::]/', '::/128'],
      ['https://[::ffff:127.0.0.1]/', '127.0.0.0/8'],
      ['https://[::ffff:7f00:1]/', '127.0.0.0/8'],
      ['https://[::ffff:a9fe:a9fe]/', '169.254.0.0/16'],
      ['https://[0:0:0:0:0:ffff:a9fe:a9fe]/', '169.254.0.0/16'],
      ['https://[::ffff:169.254.169.254]/', '169.254.0.0/16'],
      ['https://[::ffff:10.0.0.1]/', '10.0.0.0/8'],
      ['https://[64:ff9b::a9fe:a9fe]/', '169.254.0.0/16'],
      ['https://[64:ff9b::10.0.0.1]/', '10.0.0.0/8'],
      ['https://[::127.0.0.1]/', '::/96'],
      ['https://[fe80::1]/', 'fe80::/10'],
      ['https://[fc00::1]/', 'fc00::/7'],
      ['https://[fd00::1]/', 'fc00::/7'],
      ['https://[ff02::1]/', 'ff00::/8'],
      ['https://[2001:db8::1]/', '2001:db8::/32'],
      ['https://[2002:a9fe:a9fe::]/', '2002::/16'],
    ])('%s (%s)', (url, cidr) => {
      const err = refusal(url, STRICT);
      expect(err.message).toMatch(/^destination\.postUrl must point at a public address: /);
      expect(err.message).toContain(`(${cidr})`);
    });
  });

  describe('local policy: http and https to loopback', () => {
    it.each([
      'http://127.0.0.1:8080/hook',
      'http://127.1:9/',
      'http://2130706433/',
      'http://[::1]:8080/hook',
      'http://[::ffff:127.0.0.1]/',
      'http://localhost:3000/hook',
      'http://localhost./',
      'https://localhost/',
      'https://127.0.0.1/',
      'https://hooks.example.com/',
    ])('accepts %s', (url) => {
      expect(validatePostUrl(url, LOCAL)).toBe(url);
    });

    it.each([
      ['http://hooks.example.com/', 'must use https (http only to a loopback host)'],
      ['http://8.8.8.8/', 'must use https (http only to a loopback host)'],
      ['http://10.0.0.1/', 'must use https (http only to a loopback host)'],
      ['http://169.254.169.254/', 'must use https (http only to a loopback host)'],
      ['http://0.0.0.0/', 'must use https (http only to a loopback host)'],
      ['http://api.localhost/', 'must use https (http only to a loopback host)'],
      ['http://[64:ff9b::7f00:1]/', 'must use https (http only to a loopback host)'],
      ['https://10.0.0.1/', 'must point at a public address: 10.0.0.1 is a private address (10.0.0.0/8)'],
      ['https://169.254.169.254/', 'must point at a public address: 169.254.169.254 is a link-local address'],
      ['https://[::ffff:a9fe:a9fe]/', 'must point at a public address: ::ffff:a9fe:a9fe is the IPv4-mapped form of 169.254.169.254'],
      ['https://api.localhost/', 'must not point at "api.localhost": it is a loopback name'],
    ])('refuses %s', (url, message) => {
      expect(refusal(url, LOCAL).message).toContain(`destination.postUrl ${message}`);
    });
  });

  describe('allowlist', () => {
    it.each(['https://10.1.2.3/', 'https://[fd00:1::5]/', 'https://192.168.7.7:8443/'])('accepts %s', (url) => {
      expect(validatePostUrl(url, ALLOWLISTED)).toBe(url);
    });

    it.each([
      ['http://10.1.2.3/', 'must use https'],
      ['https://10.2.0.1/', 'must point at a public address'],
      ['https://169.254.169.254/', 'must point at a public address'],
    ])('refuses %s', (url, message) => {
      expect(refusal(url, ALLOWLISTED).message).toContain(message);
    });
  });
});

describe('createGuardedLookup', () => {
  interface Call {
    hostname: string;
    options: LookupAllOptions;
  }

  /** A resolver that answers asynchronously, like dns.lookup, and records what it was asked. */
  function fakeResolver(answer: LookupAddress[] | NodeJS.ErrnoException): { resolve: Resolver; calls: Call[] } {
    const calls: Call[] = [];
    const resolve: Resolver = (hostname, options, callback) => {
      calls.push({ hostname, options });
      setImmediate(() => (answer instanceof Error ? callback(answer, []) : callback(null, answer)));
    };
    return { resolve, calls };
  }

  type Result = { err: NodeJS.ErrnoException | null; address: unknown; family?: number };
  const lookupWith = (policy: DestinationPolicy, resolve: Resolver | undefined, hostname: string, options: { all?: boolean; family?: number }) =>
    new Promise<Result>((done) => {
      createGuardedLookup(policy, resolve)(hostname, options, (err, address, family) => done({ err, address, family }));
    });

  const v4 = (address: string): LookupAddress => ({ address, family: 4 });
  const v6 = (address: string): LookupAddress => ({ address, family: 6 });

  it('answers the single form with the first address, always asking the resolver for all', async () => {
    const { resolve, calls } = fakeResolver([v4('93.184.216.34'), v6('2606:2800:220:1::1')]);
    expect(await lookupWith(STRICT, resolve, 'hooks.example.test', { family: 0 })).toEqual({
      err: null,
      address: '93.184.216.34',
      family: 4,
    });
    expect(calls).toEqual([{ hostname: 'hooks.example.test', options: { family: 0, all: true } }]);
  });

  it('answers the all form with every address', async () => {
    const { resolve } = fakeResolver([v6('2606:2800:220:1::1'), v4('93.184.216.34')]);
    const result = await lookupWith(STRICT, resolve, 'hooks.example.test', { all: true });
    expect(result).toEqual({ err: null, address: [v6('2606:2800:220:1::1'), v4('93.184.216.34')], family: undefined });
  });

  it('passes the requested family on', async () => {
    const { resolve, calls } = fakeResolver([v6('2606:2800:220:1::1')]);
    await lookupWith(STRICT, resolve, 'hooks.example.test', { family: 6 });
    expect(calls[0]?.options).toEqual({ family: 6, all: true });
  });

  describe.each([
    ['a private address', [v4('10.0.0.1')], '10.0.0.1'],
    ['the metadata address', [v4('169.254.169.254')], '169.254.169.254'],
    ['a mapped metadata address', [v6('::ffff:a9fe:a9fe')], '::ffff:a9fe:a9fe'],
    ['loopback', [v4('127.0.0.1')], '127.0.0.1'],
    ['one private address among public ones', [v4('8.8.8.8'), v4('192.168.0.10'), v6('2001:4860:4860::8888')], '192.168.0.10'],
  ])('refuses a name resolving to %s', (_label, answer, refusedAddress) => {
    it.each([false, true])('all: %s', async (all) => {
      const { resolve } = fakeResolver(answer);
      const { err, address } = await lookupWith(STRICT, resolve, 'hooks.example.test', { all });
      expect(err).toBeInstanceOf(DestinationRefusedError);
      expect(err?.code).toBe('EDESTINATIONREFUSED');
      expect(err?.message).toMatch(new RegExp(`^destination refused: hooks\\.example\\.test resolves to ${refusedAddress.replaceAll('.', '\\.')} is `));
      expect(address).toEqual(all ? [] : '');
    });
  });

  it('allows loopback answers under the local policy, and still refuses private ones there', async () => {
    expect((await lookupWith(LOCAL, fakeResolver([v4('127.0.0.1')]).resolve, 'hooks.example.test', {})).address).toBe('127.0.0.1');
    expect((await lookupWith(LOCAL, fakeResolver([v4('10.0.0.1')]).resolve, 'hooks.example.test', {})).err).toBeInstanceOf(
      DestinationRefusedError,
    );
  });

  it('passes resolver errors through unchanged', async () => {
    const notFound: NodeJS.ErrnoException = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.test'), { code: 'ENOTFOUND' });
    const { err } = await lookupWith(STRICT, fakeResolver(notFound).resolve, 'nowhere.test', {});
    expect(err).toBe(notFound);
  });

  it('refuses to be created with an invalid allowlist', () => {
    expect(() => createGuardedLookup({ allowLoopbackHttp: false, allowlist: ['10.0.0.0/99'] })).toThrow('invalid CIDR "10.0.0.0/99"');
  });

  it('treats an empty answer as ENOTFOUND', async () => {
    const { err } = await lookupWith(STRICT, fakeResolver([]).resolve, 'nowhere.test', {});
    expect(err?.code).toBe('ENOTFOUND');
  });

  // The default resolver is dns.lookup; `localhost` resolves from the hosts file, no network.
  it('uses dns.lookup by default', async () => {
    const local = await lookupWith(LOCAL, undefined, 'localhost', {});
    expect(local.err).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(local.address);
    expect((await lookupWith(STRICT, undefined, 'localhost', {})).err).toBeInstanceOf(DestinationRefusedError);
  });
});
