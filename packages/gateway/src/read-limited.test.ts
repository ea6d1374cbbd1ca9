import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLimited } from './read-limited.js';

const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');

describe('readLimited', () => {
  it('reads every chunk of a stream within the limit', async () => {
    const stream = new PassThrough();
    const reading = readLimited(stream, 10);
    stream.write('hello ');
    stream.end('you!');
    const read = await reading;
    expect([text(read.chunks), read.overflow]).toEqual(['hello you!', false]);
  });

  it('stops at the limit, keeps the bytes up to it, and leaves the rest unread', async () => {
    const stream = new PassThrough();
    const reading = readLimited(stream, 8);
    stream.write('12345');
    stream.write('67890');
    stream.write('abc');
    const read = await reading;
    expect([text(read.chunks), read.overflow]).toEqual(['12345678', true]);
    expect(stream.isPaused()).toBe(true);
    // An error after the read stops goes nowhere, rather than crash the process.
    stream.destroy(new Error('late'));
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('rejects with the stream’s error, or a premature close, as `for await` would', async () => {
    const failing = new PassThrough();
    const failed = readLimited(failing, 100);
    failing.write('part');
    failing.destroy(new Error('connection reset'));
    await expect(failed).rejects.toThrow('connection reset');

    const closing = new PassThrough();
    const closed = readLimited(closing, 100);
    closing.write('part');
    closing.destroy();
    await expect(closed).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });

    const gone = new PassThrough();
    gone.destroy(new Error('already gone'));
    await expect(readLimited(gone, 100)).rejects.toThrow('already gone');
  });
});
