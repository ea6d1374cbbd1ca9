import type { SimulatedProvider } from '../driver/consent-driver.js';
import { defineModule } from '../model/module.js';
import { expect, expectEqual, skip } from '../runner/check-failure.js';

// Base URLs the wallet must refuse to store a key under (Part 7 §7.7, §7.8). All are IP literals,
// so that neither the wallet nor the suite resolves a name; and the suite makes no gateway call
// while one of them might be stored, so nothing is ever sent to them, even by a wallet that fails.
const CLEARTEXT = ['http://192.0.2.10/v1', 'http://198.51.100.7/v1', 'http://[2001:db8::10]/v1'];
const FORBIDDEN = [
  'https://169.254.169.254/v1',
  'https://169.254.10.20/v1',
  'https://[fe80::1]/v1',
  'https://[fd00:ec2::254]/v1',
  'https://100.100.100.200/v1',
  'https://0.0.0.0/v1',
  'https://255.255.255.255/v1',
  'https://224.0.0.1/v1',
];
const PRIVATE = [
  'https://10.20.30.40/v1',
  'https://172.16.5.6/v1',
  'https://192.168.7.8/v1',
  'https://100.64.1.2/v1',
  'https://[fd12:3456::1]/v1',
];

/** Where the wallet lets the owner send a provider key (Part 7 §7.7, §7.8). */
export const providerUrlsModule = defineModule({
  name: 'provider-urls',
  plan: 'core',
  kind: 'driver',
  summary:
    'The dashboard refuses a key whose base URL is cleartext to a non-loopback host, link-local, metadata or special, or private without the owner’s choice',
  checks: {
    'cleartext-refused': {
      requirements: ['SEC-7'],
      summary:
        'a key saved with an http:// base URL to a non-loopback address is refused, while http:// to the loopback simulator is accepted',
    },
    'forbidden-refused': {
      requirements: ['SEC-8'],
      summary:
        'a key saved with an https:// base URL at a link-local, cloud metadata, unspecified, broadcast or multicast address is refused',
    },
    'private-needs-choice': {
      requirements: ['SEC-8'],
      summary:
        'a key saved, without the private-network choice, with an https:// base URL at a private or CGNAT address is refused',
    },
  },
  async run({ check, driver, sim }) {
    const good: SimulatedProvider = {
      id: 'deepseek',
      baseURL: sim.baseURL('deepseek'),
      apiKey: sim.apiKey('deepseek'),
    };
    /**
     * Tries to save the simulator's deepseek key under each base URL, as the owner would; returns
     * the ones the wallet stored. Each stored one is replaced by the good URL at once, before
     * anything could use it.
     */
    const storedUnder = async (baseUrls: readonly string[]): Promise<string[]> => {
      const save = driver.setProviderCredential?.bind(driver);
      if (!save) skip('the consent driver cannot save provider credentials');
      // Positive control: the driver can save a key, and http:// to loopback is allowed (SEC-7).
      await save(good, true);
      const stored: string[] = [];
      for (const baseURL of baseUrls) {
        let accepted = true;
        try {
          await save({ ...good, baseURL }, true);
        } catch {
          accepted = false;
        }
        if (accepted) {
          stored.push(baseURL);
          await save(good, true);
        }
      }
      await save(good, true);
      return stored;
    };
    await check('cleartext-refused', async () => {
      expect(new URL(good.baseURL).protocol === 'http:', 'the simulator is expected on http:// loopback');
      expectEqual(await storedUnder(CLEARTEXT), [], 'cleartext base URLs the wallet stored a key under');
    });
    await check('forbidden-refused', async () => {
      expectEqual(await storedUnder(FORBIDDEN), [], 'forbidden base URLs the wallet stored a key under');
    });
    await check('private-needs-choice', async () => {
      expectEqual(
        await storedUnder(PRIVATE),
        [],
        'private base URLs the wallet stored a key under without the private-network choice',
      );
    });
  },
});
