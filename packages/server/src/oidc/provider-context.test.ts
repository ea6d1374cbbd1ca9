import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { insideProvider, providerContextStorage } from './provider-context.js';

describe('insideProvider', () => {
  it('turns the storage off only once the last overlapping request has finished', async () => {
    let disabled = 0;
    const inside = insideProvider({
      disable: () => {
        disabled += 1;
      },
    });
    const gates: Array<() => void> = [];
    const held = () => new Promise<string>((resolve) => gates.push(() => resolve('done')));

    const first = inside(held);
    const second = inside(held);
    gates[0]?.();
    expect(await first).toBe('done');
    expect(disabled).toBe(0);
    gates[1]?.();
    expect(await second).toBe('done');
    expect(disabled).toBe(1);
  });

  it('turns it off after a request that failed as well', async () => {
    let disabled = 0;
    const inside = insideProvider({
      disable: () => {
        disabled += 1;
      },
    });
    await expect(inside(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(disabled).toBe(1);
  });

  it('lets a storage that was turned off run the next request with its own context', async () => {
    const storage = new AsyncLocalStorage<string>();
    const inside = insideProvider(storage);
    const seen = async (value: string) =>
      inside(() =>
        storage.run(value, async () => {
          await new Promise((resolve) => setImmediate(resolve));
          return storage.getStore();
        }),
      );
    expect(await seen('first')).toBe('first');
    expect(storage.getStore()).toBeUndefined();
    expect(await Promise.all([seen('second'), seen('third')])).toEqual(['second', 'third']);
  });
});

describe('providerContextStorage', () => {
  it("finds the installed oidc-provider's request context storage", async () => {
    // If an upgrade moves it, this fails rather than the speed-up silently going away.
    expect(await providerContextStorage()).toBeInstanceOf(AsyncLocalStorage);
  });
});
