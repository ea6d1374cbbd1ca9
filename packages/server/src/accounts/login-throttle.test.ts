import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

describe('LoginThrottle', () => {
  it('locks an account after its failures and unlocks it when the window passes', () => {
    let now = 0;
    const throttle = new LoginThrottle({ perAccount: 3, perAddress: 100, windowMs: 1_000 }, () => now);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect(throttle.retryAfter('Ann@example.com', '10.0.0.1')).toBe(0);
      throttle.recordFailure('ann@example.com', `192.0.2.${attempt}`);
      now += 100;
    }
    expect(throttle.retryAfter('ANN@example.com', '198.51.100.7')).toBe(700);
    now = 1_001;
    expect(throttle.retryAfter('ann@example.com', '198.51.100.7')).toBe(0);
  });

  it('locks an address spraying many accounts', () => {
    const now = 0;
    const throttle = new LoginThrottle({ perAccount: 100, perAddress: 2, windowMs: 1_000 }, () => now);
    throttle.recordFailure('a@example.com', '203.0.113.9');
    throttle.recordFailure('b@example.com', '203.0.113.9');
    expect(throttle.retryAfter('c@example.com', '203.0.113.9')).toBeGreaterThan(0);
    expect(throttle.retryAfter('c@example.com', '203.0.113.10')).toBe(0);
  });

  it('clears the account on success but not the address', () => {
    const throttle = new LoginThrottle({ perAccount: 1, perAddress: 1, windowMs: 1_000 }, () => 0);
    throttle.recordFailure('a@example.com', '203.0.113.9');
    throttle.recordSuccess('a@example.com');
    expect(throttle.retryAfter('a@example.com', '203.0.113.1')).toBe(0);
    expect(throttle.retryAfter('a@example.com', '203.0.113.9')).toBeGreaterThan(0);
  });
});
