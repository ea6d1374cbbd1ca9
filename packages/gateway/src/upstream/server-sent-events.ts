/** One block of an event stream, up to and including the blank line that ends it. */
export interface ServerSentEvent {
  /** The block's bytes exactly as received, so it can be relayed unchanged. */
  raw: Buffer;
  /** The `event:` field, or `undefined`. */
  type: string | undefined;
  /** The `data:` lines joined with `\n`; empty for comment-only and blank blocks. */
  data: string;
}

const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

/**
 * Splits a `text/event-stream` body into events as its bytes arrive, by the WHATWG HTML rules
 * (§9.2.6): lines end in CRLF, LF or CR, a blank line ends an event, a field's value loses one
 * leading space, lines starting with `:` are comments. A chunk may end anywhere, even between
 * the CR and LF of one line ending or inside a multi-byte character; bytes of an event not yet
 * complete are held until it is.
 *
 * Unlike a browser's parser it hands back every block, comment-only and empty ones included,
 * with its raw bytes, because the gateway relays blocks rather than re-serializing them.
 */
export class ServerSentEventSplitter {
  #pending: Buffer = Buffer.alloc(0);
  /** Where the line being read starts, in `#pending`. */
  #lineStart = 0;
  /** Where to look for the next line ending, in `#pending`. */
  #scanFrom = 0;
  #type: string | undefined;
  #data: string[] = [];

  /** Bytes held for an event not yet complete; the caller bounds it. */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  /** Takes the next chunk of the body and returns the events it completed, in order. */
  push(chunk: Buffer): ServerSentEvent[] {
    return this.#split(this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]), false);
  }

  /**
   * Ends the body. Returns the last event when the body ended on a lone CR that completes it;
   * an incomplete event is discarded, as the standard says.
   */
  finish(): ServerSentEvent[] {
    return this.#split(this.#pending, true);
  }

  #split(buffer: Buffer, atEnd: boolean): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    let eventStart = 0;
    let lineStart = this.#lineStart;
    let position = this.#scanFrom;
    let nextCarriageReturn = -1;
    while (position < buffer.length) {
      if (nextCarriageReturn !== -2 && nextCarriageReturn < position) {
        // -2: no CR left in this buffer, so stop looking; event streams rarely use them.
        nextCarriageReturn = buffer.indexOf(CARRIAGE_RETURN, position);
        if (nextCarriageReturn === -1) nextCarriageReturn = -2;
      }
      const nextLineFeed = buffer.indexOf(LINE_FEED, position);
      const lineEnd =
        nextCarriageReturn >= 0 && (nextLineFeed === -1 || nextCarriageReturn < nextLineFeed)
          ? nextCarriageReturn
          : nextLineFeed;
      if (lineEnd === -1) break;
      let next = lineEnd + 1;
      if (buffer[lineEnd] === CARRIAGE_RETURN) {
        if (next === buffer.length && !atEnd) {
          position = lineEnd; // an LF may follow in the next chunk
          break;
        }
        if (buffer[next] === LINE_FEED) next += 1;
      }
      if (lineEnd === lineStart) {
        events.push({
          raw: buffer.subarray(eventStart, next),
          type: this.#type,
          data: this.#data.join('\n'),
        });
        this.#type = undefined;
        this.#data = [];
        eventStart = next;
      } else {
        this.#readField(buffer.subarray(lineStart, lineEnd));
      }
      lineStart = next;
      position = next;
    }
    if (position >= buffer.length) position = buffer.length;
    this.#pending = buffer.subarray(eventStart);
    this.#lineStart = lineStart - eventStart;
    this.#scanFrom = position - eventStart;
    return events;
  }

  #readField(line: Buffer): void {
    if (line[0] === COLON) return;
    const colon = line.indexOf(COLON);
    const name = (colon === -1 ? line : line.subarray(0, colon)).toString('utf8');
    let valueStart = colon === -1 ? line.length : colon + 1;
    if (line[valueStart] === SPACE) valueStart += 1;
    const value = line.subarray(valueStart).toString('utf8');
    if (name === 'data') this.#data.push(value);
    else if (name === 'event') this.#type = value;
  }
}
