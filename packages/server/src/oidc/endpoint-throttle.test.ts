import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discover } from '../test-support/app-client.js';
import {
  CONFIDENTIAL_CLIENT,
  DEVICE_CLIENT,
  startTestWallet,
  type TestWallet,
} from '../test-support/test-wallet.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;
let wallet: TestWallet;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  wallet = await startTestWallet({}, { endpointThrottle: { failuresPerAddress: 3, windowMs: 60_000 } });
  as = await discover(wallet.issuer);
});
afterAll(async () => {
  await wallet.close();
});

const guessRefreshToken = () =>
  oauth.refreshTokenGrantRequest(
    as,
    { client_id: CONFIDENTIAL_CLIENT.client_id },
    oauth.ClientSecretBasic(CONFIDENTIAL_CLIENT.client_secret),
    `guessed-${Math.random()}`,
    insecure,
  );

describe('throttling the OAuth endpoints per address', () => {
  it('does not count a device-flow app polling while the user decides', async () => {
    const client: oauth.Client = { client_id: DEVICE_CLIENT.client_id, token_endpoint_auth_method: 'none' };
    const device = await oauth.processDeviceAuthorizationResponse(
      as,
      client,
      await oauth.deviceAuthorizationRequest(
        as,
        client,
        oauth.None(),
        {
          resource: wallet.gateway,
          authorization_details: JSON.stringify([
            { type: 'ai_allowance', providers: ['openai'], models: ['gpt-4.1-mini'] },
          ]),
        },
        insecure,
      ),
    );
    const keys = await oauth.generateKeyPair('ES256');
    const answers: string[] = [];
    for (let poll = 0; poll < 5; poll += 1) {
      const response = await oauth.deviceCodeGrantRequest(as, client, oauth.None(), device.device_code, {
        ...insecure,
        DPoP: oauth.DPoP(client, keys),
      });
      expect(response.status).toBe(400);
      answers.push(((await response.json()) as { error: string }).error);
    }
    // Polling faster than the interval is told to slow down (spec AUTH-27), and is not a failure.
    expect(answers).toEqual(['authorization_pending', 'slow_down', 'slow_down', 'slow_down', 'slow_down']);
    expect(device.interval).toBe(5);
  });

  it('answers 429 with Retry-After once an address has failed too often, whatever it sends next', async () => {
    // The five polls of the test before did not count: three failures are still allowed.
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) statuses.push((await guessRefreshToken()).status);
    expect(statuses).toEqual([400, 400, 400]);
    const throttled = await guessRefreshToken();
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await throttled.json()).toMatchObject({ error: 'temporarily_unavailable' });
    // Other pages of the wallet stay open to the address.
    expect((await fetch(`${wallet.issuer}/.well-known/oauth-authorization-server`)).status).toBe(200);
  });
});
