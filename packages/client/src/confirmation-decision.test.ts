import { describe, expect, it } from 'vitest';
import {
  type ConfirmationStatus,
  confirmationSourceFor,
  rememberConfirmationSource,
  waitForDecision,
} from './confirmation-decision.js';
import { ConfirmationRequiredError } from './gateway-errors.js';

/** A source that answers the given statuses in turn, then the last one forever. */
function scripted(...statuses: ConfirmationStatus[]) {
  const asked: string[] = [];
  return {
    asked,
    async confirmationStatus(id: string) {
      asked.push(id);
      return statuses[Math.min(asked.length - 1, statuses.length - 1)] as ConfirmationStatus;
    },
  };
}

const confirmation = {
  id: 'cf_test',
  url: 'https://wallet.example/confirmations/cf_test',
  expiresAt: '2100-01-01T00:00:00Z',
  estimatedMaxCost: '0.50',
};

describe('waiting for a confirmation decision', () => {
  it('polls while pending and ends at the decision', async () => {
    const source = scripted('pending', 'pending', 'approved');
    expect(await waitForDecision(source, 'cf_test', { pollIntervalMs: 1 })).toBe('approved');
    expect(source.asked).toEqual(['cf_test', 'cf_test', 'cf_test']);
    expect(await waitForDecision(scripted('denied'), 'cf_test')).toBe('denied');
    expect(await waitForDecision(scripted('pending', 'expired'), 'cf_test', { pollIntervalMs: 1 })).toBe(
      'expired',
    );
    expect(await waitForDecision(scripted('used'), 'cf_test')).toBe('approved');
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = waitForDecision(scripted('pending'), 'cf_test', {
      pollIntervalMs: 10_000,
      signal: controller.signal,
    });
    controller.abort(new Error('the user gave up'));
    await expect(waiting).rejects.toThrow('the user gave up');
  });

  it('waits through the connection the refusal came to, or the one given', async () => {
    const error = new ConfirmationRequiredError('confirm it', { confirmation });
    expect(error.retryHeaders).toEqual({ 'Allowance-Confirmation': 'cf_test' });
    await expect(error.waitForDecision()).rejects.toMatchObject({ code: 'no_connection' });
    expect(await error.waitForDecision({ connection: scripted('approved') })).toBe('approved');

    rememberConfirmationSource(confirmation, scripted('denied'));
    expect(await error.waitForDecision()).toBe('denied');
    // Entries leave once expired.
    rememberConfirmationSource(
      { ...confirmation, id: 'cf_other' },
      scripted('denied'),
      Date.parse('2100-01-02'),
    );
    expect(confirmationSourceFor('cf_test')).toBeUndefined();

    const without = new ConfirmationRequiredError('no object');
    expect(without.retryHeaders).toEqual({});
    await expect(without.waitForDecision()).rejects.toMatchObject({ code: 'unexpected_response' });
  });
});
