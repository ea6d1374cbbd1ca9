import type { Readable } from 'node:stream';
import type { CallScope } from './call-scope.js';
import { classifyError, scopeFailure } from './classify-error.js';
import { discardBody } from './read-body.js';
import { type ServerSentEvent, ServerSentEventSplitter } from './server-sent-events.js';
import type { StreamEventReader } from './stream-event-reader.js';
import type { StreamSink } from './stream-sink.js';
import type { UpstreamTarget } from './upstream-call.js';
import type { UpstreamFailure } from './upstream-failure.js';

/** Largest event held while waiting for its end; real events are a few kilobytes at most. */
export const MAX_EVENT_BYTES = 8 * 1024 * 1024;

/**
 * Relays an event stream to `sink` event by event: the bytes of each complete event go out as
 * they were received (several events of one chunk in one write), except those `reader` holds
 * back. When `sink` is behind, reading stops until it drains, so the provider's stream is paced
 * by the app's and nothing piles up in memory.
 *
 * Returns why relaying stopped early, or `undefined` when the body ended normally.
 */
export async function relayEvents(
  body: Readable,
  reader: StreamEventReader,
  sink: StreamSink,
  scope: CallScope,
  target: UpstreamTarget,
): Promise<UpstreamFailure | undefined> {
  const splitter = new ServerSentEventSplitter();
  const chunks = body[Symbol.asyncIterator]();
  try {
    while (true) {
      // Only reading the body is guarded: what the sink or a reader throws is a bug, not a
      // provider problem, and must not be mistaken for one.
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (error) {
        return classifyError(error, scope, target);
      }
      if (next.done === true) break;
      const bytes = relayable(splitter.push(next.value), reader);
      if (splitter.pendingBytes > MAX_EVENT_BYTES) {
        const message = `Provider "${target.providerId}" sent an event larger than ${MAX_EVENT_BYTES} bytes.`;
        return { kind: 'protocol', message };
      }
      if (bytes !== undefined && !sink.write(bytes) && !(await drained(sink, scope.signal))) {
        return scopeFailure(scope, target);
      }
    }
    const last = relayable(splitter.finish(), reader);
    if (last !== undefined) sink.write(last);
    return undefined;
  } finally {
    discardBody(body);
  }
}

/** The bytes of the events the app may see, or `undefined` when there are none. */
function relayable(events: readonly ServerSentEvent[], reader: StreamEventReader): Buffer | undefined {
  const kept: Buffer[] = [];
  for (const event of events) if (reader.read(event)) kept.push(event.raw);
  if (kept.length === 0) return undefined;
  return kept.length === 1 ? kept[0] : Buffer.concat(kept);
}

/** Waits for `sink` to drain; `false` when `signal` aborted first. */
async function drained(sink: StreamSink, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<false>((resolve) => {
    onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([
      sink.drained(signal).then(
        () => true,
        (error: unknown) => {
          // A sink may reject once the signal aborted; before that a rejection is a bug.
          if (signal.aborted) return false;
          throw error;
        },
      ),
      aborted,
    ]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
