// One chat completion through the gateway, as a drill sends it: JSON or streamed, optionally
// abandoned by the client part-way. Never throws; says how the call ended.
import { Agent, request } from 'node:http';

/** A keep-alive agent for many concurrent drill calls. */
export const drillAgent = (maxSockets = 256) => new Agent({ keepAlive: true, maxSockets });

/**
 * Sends the call and resolves with `{ status, callId, code, completed, failed }`: `completed`
 * when a 200 arrived whole (a stream up to its final cost comment), `code` the error code of a
 * refusal, `failed` when the connection broke (the gateway died, or the client gave up).
 */
export function gatewayCall({ gateway, token, model, stream = false, maxTokens = 64, abortAfterMs, agent }) {
  const body = JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Write a short line about budgets.' }],
    max_tokens: maxTokens,
    ...(stream && { stream: true }),
  });
  return new Promise((resolve) => {
    const outcome = { status: 0, callId: undefined, code: undefined, completed: false, failed: false };
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const call = request(
      `${gateway}/v1/chat/completions`,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        outcome.status = response.statusCode ?? 0;
        outcome.callId = response.headers['allowance-call'];
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.once('end', () => {
          if (outcome.status === 200) {
            outcome.completed = !stream || text.includes('allowance-cost=');
          } else {
            try {
              outcome.code = JSON.parse(text).error?.code;
            } catch {
              outcome.code = 'unparseable';
            }
          }
          finish();
        });
        response.once('error', () => {
          outcome.failed = true;
          finish();
        });
        response.once('close', () => {
          if (settled) return;
          outcome.failed = !response.complete;
          finish();
        });
      },
    );
    call.once('error', () => {
      outcome.failed = true;
      finish();
    });
    if (abortAfterMs !== undefined) {
      setTimeout(() => {
        if (settled) return;
        outcome.failed = true;
        call.destroy();
        finish();
      }, abortAfterMs);
    }
    call.end(body);
  });
}
