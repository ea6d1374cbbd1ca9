import { describe, expect, it } from 'vitest';
import { rotatingNonces } from './rotating-nonces.js';

const secret = new Uint8Array(32).fill(1);

function noncesAt(start: number, periodSeconds = 60) {
  const clock = { now: start };
  return { nonces: rotatingNonces({ secret, periodSeconds, now: () => clock.now }), clock };
}

describe('rotatingNonces', () => {
  it('hands out one nonce per period, unpredictable without the secret', () => {
    const { nonces, clock } = noncesAt(0);
    const first = nonces.current();
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    clock.now = 59_999;
    expect(nonces.current()).toBe(first);
    clock.now = 60_000;
    expect(nonces.current()).not.toBe(first);
    const other = rotatingNonces({ secret: new Uint8Array(32).fill(2), periodSeconds: 60, now: () => 0 });
    expect(other.current()).not.toBe(first);
  });

  it('accepts the current, previous and next period, and nothing older', () => {
    const { nonces, clock } = noncesAt(600_000);
    const issued = nonces.current();
    expect(nonces.isValid(issued)).toBe(true);
    clock.now += 60_000;
    expect(nonces.isValid(issued)).toBe(true);
    clock.now += 60_000;
    expect(nonces.isValid(issued)).toBe(false);
    clock.now = 600_000 - 60_000;
    expect(nonces.isValid(issued)).toBe(true);
    clock.now -= 60_000;
    expect(nonces.isValid(issued)).toBe(false);
  });

  it('agrees across replicas that share the secret', () => {
    const replicaA = rotatingNonces({ secret, now: () => 1_000_000 });
    const replicaB = rotatingNonces({ secret: Uint8Array.from(secret), now: () => 1_000_500 });
    expect(replicaB.isValid(replicaA.current())).toBe(true);
  });

  it('refuses anything that is not one of its nonces', () => {
    const { nonces } = noncesAt(0);
    const valid = nonces.current();
    for (const nonce of [
      '',
      'x',
      `${valid}x`,
      valid.toUpperCase(),
      'é'.repeat(43),
      42 as unknown as string,
    ]) {
      expect(nonces.isValid(nonce)).toBe(false);
    }
  });

  it('copies the secret, so changing the array later changes nothing', () => {
    const mutable = new Uint8Array(32).fill(3);
    const nonces = rotatingNonces({ secret: mutable, now: () => 0 });
    const before = nonces.current();
    mutable.fill(4);
    expect(rotatingNonces({ secret: new Uint8Array(32).fill(3), now: () => 0 }).current()).toBe(before);
    expect(nonces.isValid(before)).toBe(true);
  });

  it('fails fast on a short secret or a bad period', () => {
    expect(() => rotatingNonces({ secret: new Uint8Array(16) })).toThrow(TypeError);
    expect(() => rotatingNonces({ secret, periodSeconds: 0 })).toThrow(RangeError);
  });
});
