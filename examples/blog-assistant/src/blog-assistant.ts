import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AllowanceError,
  allowance,
  type Connection,
  discoverWallet,
  type PendingAuthorization,
  toAllowanceError,
  type Wallet,
} from '@allowance/client';
import OpenAI from 'openai';
import { connectedStatus, disconnectedStatus, editor, page, STYLESHEET, walletSaysNo } from './pages.js';

/** Where the app runs and which wallet it talks to. */
export interface BlogAssistantOptions {
  /** The user's wallet (its issuer URL). */
  walletIssuer: string;
  /** This app's public URL; the callback is `<publicUrl>/callback`. */
  publicUrl: string;
  clientId: string;
  model: string;
  port: number;
  host?: string;
}

interface Session {
  pending?: PendingAuthorization;
  connection?: Connection;
  post: string;
  /** Why the wallet said no, shown once on the next page. */
  notice?: string;
}

const PROMPTS: Record<string, string> = {
  draft: 'Turn these notes into a short blog post draft:',
  rewrite: 'Rewrite this blog post to be clearer and shorter, keeping its voice:',
  title: 'Suggest one good title for this blog post, and nothing else:',
};

/** Tells the user, in plain words, why the wallet refused. */
export function explain(error: AllowanceError): string {
  switch (error.code) {
    case 'budget_exhausted':
    case 'token_budget_exhausted':
      return 'This app has used up the allowance you gave it for now. Raise it in your wallet, or wait for the next period.';
    case 'grant_revoked':
      return 'You revoked this app in your wallet. Connect again if you want to use AI here.';
    case 'grant_expired':
      return 'The allowance you gave this app has expired. Connect again to continue.';
    case 'grant_suspended':
      return 'This app is suspended in your wallet. Resume it there to continue.';
    case 'model_not_allowed':
    case 'provider_not_allowed':
      return 'Your wallet does not allow this app to use that model.';
    case 'rate_limited':
      return 'Too many requests for now. Try again in a minute.';
    default:
      return error.message;
  }
}

/**
 * The blog assistant: drafts, rewrites and titles a post with the model the user's wallet
 * allows, streaming the answer, with what is left of the allowance in its header.
 */
export async function startBlogAssistant(
  options: BlogAssistantOptions,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const redirectUri = `${options.publicUrl}/callback`;
  let wallet: Wallet | undefined;
  const walletFor = async () => {
    wallet ??= await discoverWallet(
      options.walletIssuer,
      { clientId: options.clientId, redirectUri },
      { allowInsecure: true },
    );
    return wallet;
  };
  const sessions = new Map<string, Session>();

  const sessionOf = (request: IncomingMessage, response: ServerResponse): Session => {
    const id = /(?:^|;\s*)blog\.sid=([\w-]+)/.exec(request.headers.cookie ?? '')?.[1];
    const existing = id ? sessions.get(id) : undefined;
    if (existing) return existing;
    const fresh = randomBytes(16).toString('base64url');
    response.setHeader('set-cookie', `blog.sid=${fresh}; HttpOnly; SameSite=Lax; Path=/`);
    const session: Session = { post: '' };
    sessions.set(fresh, session);
    return session;
  };

  const status = async (session: Session) => {
    if (!session.connection) return disconnectedStatus();
    try {
      const current = await session.connection.status();
      const budget = current.budget[0];
      return connectedStatus(
        budget ? `${budget.remaining} ${current.currency} left this ${budget.period}` : 'connected',
      );
    } catch (error) {
      const refusal = toAllowanceError(error);
      if (refusal && (refusal.code === 'grant_revoked' || refusal.code === 'grant_expired')) {
        session.connection = undefined;
        session.notice = explain(refusal);
      }
      return session.connection ? connectedStatus('connected') : disconnectedStatus();
    }
  };

  const readForm = async (request: IncomingMessage) => {
    let body = '';
    for await (const chunk of request) {
      body += chunk;
      if (body.length > 200_000) throw new Error('form too large');
    }
    return new URLSearchParams(body);
  };

  const html = (response: ServerResponse, code: number, markup: string) => {
    response.writeHead(code, { 'content-type': 'text/html; charset=utf-8' });
    response.end(markup);
  };

  const routes = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', options.publicUrl);
    const session = sessionOf(request, response);
    if (request.method === 'GET' && url.pathname === '/style.css') {
      response.writeHead(200, { 'content-type': 'text/css' });
      return response.end(STYLESHEET);
    }
    if (request.method === 'GET' && url.pathname === '/') {
      const header = await status(session);
      const notice = session.notice ? walletSaysNo(session.notice) : '';
      session.notice = undefined;
      return html(
        response,
        200,
        page(header, notice + editor(session.post, session.connection !== undefined)),
      );
    }
    if (request.method === 'POST' && url.pathname === '/connect') {
      const authorization = await (await walletFor()).startAuthorization({
        allowance: allowance()
          .providers('openai')
          .models('gpt-4.1-mini', 'gpt-4.1-nano')
          .budget('5.00', 'month')
          .tokens({ maxOutputPerRequest: 1000 })
          .scopes('post:read', 'post:write')
          .build(),
      });
      session.pending = authorization.pending;
      response.writeHead(303, { location: authorization.url.href });
      return response.end();
    }
    if (request.method === 'GET' && url.pathname === '/callback') {
      if (!session.pending)
        return html(
          response,
          400,
          page(disconnectedStatus(), walletSaysNo('This sign-in has expired. Connect again.')),
        );
      try {
        session.connection = await (await walletFor()).finishAuthorization(url, session.pending);
      } catch (error) {
        const refusal = toAllowanceError(error) ?? (error instanceof AllowanceError ? error : undefined);
        session.pending = undefined;
        return html(
          response,
          200,
          page(disconnectedStatus(), walletSaysNo(refusal?.message ?? 'The wallet did not connect.')),
        );
      }
      session.pending = undefined;
      response.writeHead(303, { location: '/' });
      return response.end();
    }
    if (request.method === 'POST' && url.pathname === '/disconnect') {
      await session.connection?.revoke().catch(() => undefined);
      session.connection = undefined;
      response.writeHead(303, { location: '/' });
      return response.end();
    }
    if (request.method === 'POST' && url.pathname === '/generate') {
      const form = await readForm(request);
      session.post = form.get('post') ?? '';
      const prompt = PROMPTS[form.get('task') ?? ''] ?? PROMPTS.rewrite;
      const connection = session.connection;
      if (!connection)
        return html(response, 401, page(disconnectedStatus(), walletSaysNo('Connect your AI wallet first.')));
      const openai = new OpenAI({ ...connection.openai(), maxRetries: 0 });
      try {
        const stream = await openai.chat.completions.create({
          model: options.model,
          stream: true,
          messages: [{ role: 'user', content: `${prompt}\n\n${session.post}` }],
        });
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.write(page(connectedStatus('answering…'), '<p>Answer:</p><pre id="answer">'));
        for await (const chunk of stream) {
          const text = chunk.choices[0]?.delta.content;
          if (text) response.write(text.replace(/[&<>]/g, (character) => `&#${character.charCodeAt(0)};`));
        }
        response.end('</pre><p id="done"><a href="/">Back to the editor</a></p>');
      } catch (error) {
        const refusal = toAllowanceError(error);
        if (refusal?.code === 'grant_revoked') session.connection = undefined;
        const message = refusal ? explain(refusal) : 'The AI call failed. Try again.';
        if (response.headersSent) response.end(`</pre>${walletSaysNo(message)}`);
        else html(response, 200, page(await status(session), walletSaysNo(message)));
      }
      return;
    }
    html(response, 404, page(await status(session), '<p>Not found.</p>'));
  };

  const server = createServer((request, response) => {
    routes(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        html(response, 500, page('', walletSaysNo(`Something went wrong: ${String(error)}`)));
      else response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
