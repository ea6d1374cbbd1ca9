import { describe, expect, it } from 'vitest';
import { ConnectionGate } from './connection-gate.js';

describe('ConnectionGate', () => {
  it('is taken at once when free, and by one holder only', () => {
    const gate = new ConnectionGate();
    expect(gate.tryTake()).toBe(true);
    expect(gate.tryTake()).toBe(false);
    gate.release();
    expect(gate.tryTake()).toBe(true);
  });

  it('passes to waiters in the order they came, and lets nobody jump the queue', async () => {
    const gate = new ConnectionGate();
    gate.tryTake();
    const order: string[] = [];
    const first = gate.take().then(() => order.push('first'));
    const second = gate.take().then(() => order.push('second'));
    gate.release();
    // Handed to the first waiter, not left free for whoever asks next.
    expect(gate.tryTake()).toBe(false);
    await first;
    gate.release();
    await second;
    gate.release();
    expect(order).toEqual(['first', 'second']);
    expect(gate.tryTake()).toBe(true);
  });
});
