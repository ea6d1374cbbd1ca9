import type { Readable } from 'node:stream';

/** What {@link readLimited} read. */
export interface LimitedRead {
  /** The chunks read, `limit` bytes at most in all. */
  chunks: Buffer[];
  /** Whether the stream had more than `limit` bytes; it is then left paused, unread. */
  overflow: boolean;
}

/**
 * Reads `stream` to its end, or until it passes `limit` bytes. With `data` and `end` listeners
 * rather than `for await`: Node's async iterator over a stream costs a few microseconds and
 * ~7 KB of garbage each time, and the gateway reads two bodies a call (BENCHMARKS.md, "Profiling and fixes").
 *
 * @throws the stream's error, or a premature-close error (as `for await` would) when it closes
 *   before its end.
 */
export function readLimited(stream: Readable, limit: number): Promise<LimitedRead> {
  return new Promise((resolve, reject) => {
    // No error of this stream may go unhandled, even one emitted after the read is over.
    stream.on('error', ignore);
    if (stream.errored) return reject(stream.errored);
    if (stream.readableEnded) return resolve({ chunks: [], overflow: false });
    if (stream.destroyed) return reject(prematureClose());
    const chunks: Buffer[] = [];
    let length = 0;
    const stop = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      if (length + chunk.length > limit) {
        stop();
        stream.pause();
        chunks.push(chunk.subarray(0, limit - length));
        resolve({ chunks, overflow: true });
        return;
      }
      chunks.push(chunk);
      length += chunk.length;
    };
    const onEnd = () => {
      stop();
      resolve({ chunks, overflow: false });
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () => {
      stop();
      reject(stream.errored ?? prematureClose());
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

const ignore = () => {};

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
