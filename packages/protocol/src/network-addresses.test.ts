import { describe, expect, it } from 'vitest';
import {
  checkConnectedAddress,
  checkProviderBaseUrl,
  classifyAddress,
  classifyHost,
} from './network-addresses.js';

const strict = { privateNetworkAllowed: false };
const lan = { privateNetworkAllowed: true };

describe('classifyAddress (SEC-8)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.20', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.254', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['192.0.2.10', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['169.254.0.1', 'link_local'],
    ['169.254.1.1', 'link_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['64:ff9b::169.254.169.254', 'metadata'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['169.253.255.255', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::8.8.8.8', 'public'],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it('is undefined for what is not an IP address', () => {
    for (const text of ['example.com', '', '1.2.3', '256.1.1.1', '::g', 'localhost']) {
      expect(classifyAddress(text), text).toBeUndefined();
    }
  });
});

describe('classifyHost', () => {
  it('knows loopback names, metadata names and addresses before any resolution', () => {
    expect(classifyHost('localhost')).toEqual({ kind: 'loopback_name' });
    expect(classifyHost('LocalHost.')).toEqual({ kind: 'loopback_name' });
    expect(classifyHost('wallet.localhost')).toEqual({ kind: 'loopback_name' });
    expect(classifyHost('metadata.google.internal')).toEqual({ kind: 'metadata_name' });
    expect(classifyHost('[fd00:ec2::254]')).toEqual({ kind: 'address', addressClass: 'metadata' });
    expect(classifyHost('api.example.test')).toEqual({ kind: 'name' });
    expect(classifyHost('localhost.example.test')).toEqual({ kind: 'name' });
  });
});

describe('checkProviderBaseUrl (SEC-7, SEC-8)', () => {
  it('allows https anywhere public, and http only to loopback names and addresses (SEC-7)', () => {
    for (const url of [
      'https://api.openai.com/v1',
      'https://8.8.8.8/v1',
      'http://127.0.0.1:8080/v1',
      'http://localhost:4000/v1',
      'http://[::1]:4000',
      'https://localhost/v1',
    ]) {
      expect(checkProviderBaseUrl(url, strict).ok, url).toBe(true);
    }
    for (const url of [
      'http://api.example.test/v1',
      'http://8.8.8.8/v1',
      'http://192.168.1.20/v1',
      'http://localhost.example.test/v1',
    ]) {
      for (const policy of [strict, lan]) {
        const verdict = checkProviderBaseUrl(url, policy);
        expect(verdict.ok ? 'allowed' : verdict.problem, url).toBe('cleartext');
        expect(verdict.ok ? '' : verdict.message, url).toMatch(/https:\/\//);
      }
    }
  });

  it('refuses link-local, metadata, unspecified, broadcast and multicast always (SEC-8)', () => {
    for (const url of [
      'https://169.254.169.254/latest/meta-data',
      'https://169.254.10.10/v1',
      'https://[fe80::1]/v1',
      'https://[fd00:ec2::254]/v1',
      'https://100.100.100.200/v1',
      'https://metadata.google.internal/v1',
      'https://0.0.0.0/v1',
      'https://[::]/v1',
      'https://255.255.255.255/v1',
      'https://224.0.0.1/v1',
      'https://[::ffff:169.254.169.254]/v1',
      'http://169.254.169.254/latest/meta-data',
      'http://metadata.google.internal/computeMetadata/v1',
    ]) {
      for (const policy of [strict, lan]) {
        const verdict = checkProviderBaseUrl(url, policy);
        expect(verdict.ok ? 'allowed' : verdict.problem, url).toBe('forbidden_address');
      }
    }
  });

  it('allows a private address only by the owner’s choice for the key (SEC-8)', () => {
    for (const url of ['https://10.0.0.1/v1', 'https://[fd12::1]/v1', 'https://100.64.1.1/v1']) {
      const verdict = checkProviderBaseUrl(url, strict);
      expect(verdict.ok ? 'allowed' : verdict.problem, url).toBe('private_address');
      expect(verdict.ok ? '' : verdict.message, url).toMatch(/private network/);
      expect(checkProviderBaseUrl(url, lan).ok, url).toBe(true);
    }
  });

  it('refuses what is not an http(s) URL without credentials', () => {
    const problem = (url: string) => {
      const verdict = checkProviderBaseUrl(url, lan);
      return verdict.ok ? 'allowed' : verdict.problem;
    };
    expect(problem('not a url')).toBe('invalid_url');
    expect(problem('ftp://api.example.test/')).toBe('unsupported_scheme');
    expect(problem('file:///etc/passwd')).toBe('unsupported_scheme');
    expect(problem('https://user:secret@api.example.test/v1')).toBe('credentials_in_url');
  });

  it('sees through the other ways of writing an address', () => {
    // The URL parser turns these into 127.0.0.1 and 169.254.169.254.
    expect(checkProviderBaseUrl('http://2130706433/v1', strict).ok).toBe(true);
    expect(checkProviderBaseUrl('http://0x7f.1/v1', strict).ok).toBe(true);
    const metadata = checkProviderBaseUrl('https://0xa9fea9fe/v1', lan);
    expect(metadata.ok ? 'allowed' : metadata.problem).toBe('forbidden_address');
    const decimal = checkProviderBaseUrl('http://167772161/v1', lan);
    expect(decimal.ok ? 'allowed' : decimal.problem).toBe('cleartext');
  });
});

describe('checkConnectedAddress (SEC-8)', () => {
  const name = classifyHost('api.example.test');
  const localhost = classifyHost('localhost');
  const problem = (verdict: ReturnType<typeof checkConnectedAddress>) =>
    verdict.ok ? 'allowed' : verdict.problem;

  it('lets a public name reach public addresses', () => {
    expect(problem(checkConnectedAddress('8.8.8.8', name, strict))).toBe('allowed');
    expect(problem(checkConnectedAddress('2606:4700:4700::1111', name, strict))).toBe('allowed');
  });

  it('refuses a public name that resolves to loopback or private space unless the owner chose it', () => {
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '192.168.0.5', '::ffff:10.0.0.1']) {
      expect(problem(checkConnectedAddress(address, name, strict)), address).toBe('private_address');
      expect(problem(checkConnectedAddress(address, name, lan)), address).toBe('allowed');
    }
  });

  it('refuses link-local and metadata addresses whatever the name and the choice', () => {
    for (const address of ['169.254.169.254', 'fe80::1', 'fd00:ec2::254', '0.0.0.0', '224.0.0.1']) {
      for (const typed of [name, localhost]) {
        expect(problem(checkConnectedAddress(address, typed, lan)), address).toBe('forbidden_address');
      }
    }
  });

  it('holds a loopback name to loopback addresses', () => {
    expect(problem(checkConnectedAddress('127.0.0.1', localhost, strict))).toBe('allowed');
    expect(problem(checkConnectedAddress('::1', localhost, strict))).toBe('allowed');
    expect(problem(checkConnectedAddress('10.0.0.1', localhost, lan))).toBe('forbidden_address');
    expect(problem(checkConnectedAddress('8.8.8.8', localhost, lan))).toBe('forbidden_address');
  });
});
