// The two loads of the benchmark: JSON calls with autocannon (keeping every latency as a float,
// since autocannon's own histogram rounds to whole milliseconds), and streamed calls with a
// small client that times the first content token and the end of the stream.
import { Agent, request } from 'node:http';
import autocannon from 'autocannon';

/**
 * `connections` concurrent keep-alive clients sending `body` (none for a GET) to `url` for `seconds`.
 * Returns requests per second, every 2xx latency in ms, and the errors (non-2xx or socket).
 */
export async function jsonLoad({ url, headers, body, connections, seconds, method = 'POST' }) {
  const latencies = [];
  const instance = autocannon({
    url,
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    connections,
    duration: seconds,
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  return {
    requests: result.requests.total,
    rps: result.requests.total / seconds,
    latencies,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/**
 * `concurrency` clients each making streamed calls back to back for `seconds`. Time to first
 * token is until the first SSE chunk carrying content text; time to last token until the end.
 */
export async function streamLoad({ url, headers, body, concurrency, seconds }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const payload = JSON.stringify(body);
  const firstToken = [];
  const lastToken = [];
  let errors = 0;
  let calls = 0;
  const until = performance.now() + seconds * 1000;
  const one = () =>
    new Promise((resolve) => {
      const started = performance.now();
      let first;
      const call = request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            ...headers,
          },
        },
        (response) => {
          if (response.statusCode !== 200) {
            errors += 1;
            response.resume();
            response.once('end', resolve);
            return;
          }
          response.setEncoding('utf8');
          let text = '';
          response.on('data', (chunk) => {
            if (first === undefined) {
              text += chunk;
              if (/"(content|text)":"[^"]/.test(text)) first = performance.now() - started;
            }
          });
          response.once('end', () => {
            if (first === undefined) errors += 1;
            else {
              firstToken.push(first);
              lastToken.push(performance.now() - started);
            }
            resolve();
          });
          response.once('error', () => {
            errors += 1;
            resolve();
          });
        },
      );
      call.once('error', () => {
        errors += 1;
        resolve();
      });
      call.end(payload);
    });
  const client = async () => {
    while (performance.now() < until) {
      calls += 1;
      await one();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  agent.destroy();
  return { calls, rps: calls / seconds, firstToken, lastToken, errors };
}
