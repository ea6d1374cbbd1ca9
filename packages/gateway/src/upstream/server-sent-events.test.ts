import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ServerSentEvent, ServerSentEventSplitter } from './server-sent-events.js';

const pushAll = (
  chunks: readonly (string | Buffer)[],
): { events: ServerSentEvent[]; splitter: ServerSentEventSplitter } => {
  const splitter = new ServerSentEventSplitter();
  const events = chunks.flatMap((chunk) => splitter.push(Buffer.from(chunk)));
  return { events, splitter };
};

const summary = (events: readonly ServerSentEvent[]) =>
  events.map((event) => ({ raw: event.raw.toString('utf8'), type: event.type, data: event.data }));

describe('ServerSentEventSplitter', () => {
  it('reads OpenAI-style data events and keeps their raw bytes', () => {
    const { events } = pushAll(['data: {"a":1}\n\ndata: [DONE]\n\n']);
    expect(summary(events)).toEqual([
      { raw: 'data: {"a":1}\n\n', type: undefined, data: '{"a":1}' },
      { raw: 'data: [DONE]\n\n', type: undefined, data: '[DONE]' },
    ]);
  });

  it('reads named events, multi-line data, comments and fields without a space', () => {
    const { events } = pushAll([': keep-alive\n\nevent: ping\ndata:{}\n\ndata: one\ndata: two\nid: 7\n\n']);
    expect(summary(events)).toEqual([
      { raw: ': keep-alive\n\n', type: undefined, data: '' },
      { raw: 'event: ping\ndata:{}\n\n', type: 'ping', data: '{}' },
      { raw: 'data: one\ndata: two\nid: 7\n\n', type: undefined, data: 'one\ntwo' },
    ]);
  });

  it('holds an event split across chunks until it is complete', () => {
    const splitter = new ServerSentEventSplitter();
    expect(splitter.push(Buffer.from('event: message_st'))).toEqual([]);
    expect(splitter.push(Buffer.from('art\ndata: {"x"'))).toEqual([]);
    expect(splitter.pendingBytes).toBe('event: message_start\ndata: {"x"'.length);
    const [event] = splitter.push(Buffer.from(':1}\n\nevent: ping'));
    expect(event?.type).toBe('message_start');
    expect(event?.data).toBe('{"x":1}');
    expect(splitter.pendingBytes).toBe('event: ping'.length);
  });

  it('treats CRLF split between two chunks as one line ending', () => {
    const { events } = pushAll(['data: a\r', '\n\r', '\ndata: b\r\n\r\n']);
    expect(summary(events)).toEqual([
      { raw: 'data: a\r\n\r\n', type: undefined, data: 'a' },
      { raw: 'data: b\r\n\r\n', type: undefined, data: 'b' },
    ]);
  });

  it('accepts a lone CR as a line ending, also at the very end of the body', () => {
    const { events, splitter } = pushAll(['data: a\r\rdata: b\r\r']);
    expect(summary(events)).toEqual([{ raw: 'data: a\r\r', type: undefined, data: 'a' }]);
    expect(summary(splitter.finish())).toEqual([{ raw: 'data: b\r\r', type: undefined, data: 'b' }]);
  });

  it('decodes a multi-byte character split across chunks', () => {
    const bytes = Buffer.from('data: héllo 🌍\n\n');
    const { events } = pushAll([bytes.subarray(0, 8), bytes.subarray(8, 15), bytes.subarray(15)]);
    expect(events.map((event) => event.data)).toEqual(['héllo 🌍']);
  });

  it('discards an incomplete last event when the body ends', () => {
    const { events, splitter } = pushAll(['data: whole\n\ndata: cut']);
    expect(events).toHaveLength(1);
    expect(splitter.finish()).toEqual([]);
  });

  it('gives the same events, byte for byte, however the body is cut into chunks', () => {
    const field = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 12 }).map((value) => `data: ${value}`),
      fc.string({ unit: 'grapheme', maxLength: 12 }).map((value) => `data:${value}`),
      fc.constantFrom('event: message_delta', 'event: ping', ': comment', 'id: 3', 'data'),
    );
    const line = field.filter((text) => !/[\r\n]/.test(text));
    const event = fc.record({
      lines: fc.array(line, { minLength: 1, maxLength: 4 }),
      ending: fc.constantFrom('\n', '\r\n', '\r'),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (blocks, cuts) => {
        const texts = blocks.map(({ lines, ending }) => lines.map((text) => text + ending).join('') + ending);
        const body = Buffer.from(texts.join(''));
        const positions = [...new Set(cuts.map((cut) => cut % (body.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...positions].map((start, index) =>
          body.subarray(start, positions[index] ?? body.length),
        );
        const { events, splitter } = pushAll(chunks);
        events.push(...splitter.finish());
        expect(events.map((parsed) => parsed.raw.toString('utf8'))).toEqual(texts);
        const expected = blocks.map(({ lines }) => {
          const values = (name: string) =>
            lines
              .filter((text) => text === name || text.startsWith(`${name}:`))
              .map((text) => text.slice(name.length + 1).replace(/^ /, ''));
          return { type: values('event').at(-1), data: values('data').join('\n') };
        });
        expect(events.map(({ type, data }) => ({ type, data }))).toEqual(expected);
      }),
    );
  });
});
