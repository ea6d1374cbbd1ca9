import { abortableSleep } from './abortable-sleep.js';
import { AllowanceError } from './allowance-error.js';

/** Where a confirmation stands at the gateway (`GET /v1/confirmations/{id}`). */
export type ConfirmationStatus = 'pending' | 'approved' | 'denied' | 'used' | 'expired';

/** How waiting for the user's decision on a confirmation ended. */
export type ConfirmationDecision = 'approved' | 'denied' | 'expired';

/** How to wait for a decision. */
export interface WaitForDecisionOptions {
  /** Stops waiting; the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Time between two polls of the gateway, in milliseconds; default 2000. */
  pollIntervalMs?: number | undefined;
}

/** What can tell where a confirmation stands: a connection, with its access token. */
export interface ConfirmationStatusSource {
  confirmationStatus(id: string): Promise<ConfirmationStatus>;
}

const DEFAULT_POLL_INTERVAL_MS = 2000;

/**
 * Polls the gateway until the user approved or denied the confirmation in the wallet, or it
 * expired. An approval that a retried call already used counts as `approved`.
 */
export async function waitForDecision(
  source: ConfirmationStatusSource,
  id: string,
  options: WaitForDecisionOptions = {},
): Promise<ConfirmationDecision> {
  const interval = Math.max(50, options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    const status = await source.confirmationStatus(id);
    if (status === 'used') return 'approved';
    if (status !== 'pending') return status;
    await abortableSleep(interval, options.signal);
  }
}

// Confirmations the connections of this process were refused with, so that the error an SDK threw
// (which knows nothing of the connection) can still wait with the right token. Entries leave at
// their expiry, at most 15 minutes later (spec MTR-29).
const sources = new Map<string, { source: ConfirmationStatusSource; expiresAt: number }>();

/** Records which connection a confirmation came to (the connection's fetch calls this). */
export function rememberConfirmationSource(
  confirmation: { id: string; expiresAt: string },
  source: ConfirmationStatusSource,
  now: number = Date.now(),
): void {
  for (const [id, entry] of sources) if (entry.expiresAt <= now) sources.delete(id);
  const expiresAt = Date.parse(confirmation.expiresAt);
  sources.set(confirmation.id, {
    source,
    expiresAt: Number.isFinite(expiresAt) ? expiresAt : now + 15 * 60 * 1000,
  });
}

/** The connection a confirmation came to, if it came to one of this process. */
export function confirmationSourceFor(id: string): ConfirmationStatusSource | undefined {
  return sources.get(id)?.source;
}

/** The error when there is nothing to poll with. */
export function noConfirmationSource(id: string): AllowanceError {
  return new AllowanceError(
    'no_connection',
    `No connection of this process received confirmation ${id}: pass the connection that made the call as \`connection\`.`,
  );
}
