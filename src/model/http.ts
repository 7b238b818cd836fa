import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { CancelledError } from '../packer/errors.js';
import { ModelError, UnreachableError, withoutSecret } from './errors.js';

export interface HttpRequest {
  url: URL;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Silence from the server for this long (waiting for the answer or between chunks) ends the request. */
  idleTimeoutMs: number;
  /** Names the server in messages, e.g. "vLLM at http://gpu-box:8000/v1". */
  label: string;
  /** Kept out of every message. */
  apiKey?: string;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as UTF-8 text in the chunks it arrives in (a character split across packets arrives whole). */
  chunks(): AsyncIterable<string>;
  /** The whole body, up to `limit` characters (an error page needs no more). */
  text(limit?: number): Promise<string>;
}

const CONNECT_TIMEOUT_MS = 30_000;

/** node:https's or node:http's `request`, loaded by the first request: loading them took ~3 ms of every start. */
export function requestFunction(url: URL): typeof import('node:http').request | undefined {
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (url.protocol === 'https:') return (require('node:https') as typeof import('node:https')).request;
  if (url.protocol === 'http:') return (require('node:http') as typeof import('node:http')).request;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return undefined;
}

/**
 * One HTTP request with the failures a user can act on turned into one-line ModelErrors. node:http rather than
 * fetch: a long prompt's prefill may keep a server silent for minutes, and the timeout here is ours to set.
 */
export function sendRequest(request: HttpRequest): Promise<HttpResponse> {
  const { url, signal, label } = request;
  if (signal?.aborted) return Promise.reject(new CancelledError());
  const send = requestFunction(url);
  if (!send) return Promise.reject(new ModelError(`${label}: the endpoint must be an http:// or https:// URL`));
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  const headers: Record<string, string> = { accept: 'application/json, text/event-stream', ...request.headers };
  if (body) headers['content-length'] = String(body.length);

  return new Promise<HttpResponse>((resolve, reject) => {
    let failure: Error | undefined;
    const req = send(url, { method: request.method, headers });
    const fail = (error: Error): void => {
      failure ??= error;
      req.destroy(failure);
    };
    const onAbort = (): void => fail(new CancelledError());
    signal?.addEventListener('abort', onAbort, { once: true });
    const seconds = Math.round(request.idleTimeoutMs / 1000);
    req.setTimeout(request.idleTimeoutMs, () => fail(new ModelError(
      `${label} sent nothing for ${seconds} s; the server may be overloaded or still reading a very long prompt (raise --timeout, or check the server)`,
    )));
    // An address that swallows packets would otherwise hold the request until the long idle timeout.
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => fail(new UnreachableError(
        `cannot reach ${label}: no connection after ${CONNECT_TIMEOUT_MS / 1000} s; check --endpoint and the network`,
      )), Math.min(CONNECT_TIMEOUT_MS, request.idleTimeoutMs));
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    req.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(failure ?? connectionError(error as NodeJS.ErrnoException, request));
    });
    req.on('response', (response: IncomingMessage) => {
      response.setEncoding('utf8');
      const errorOf = (error: unknown): Error => failure ?? (error instanceof ModelError ? error
        : new ModelError(`${label} closed the connection before the answer was complete`, true));
      const chunks = async function* (): AsyncGenerator<string> {
        try {
          for await (const chunk of response) yield chunk as string;
          if (failure) throw failure;
        } catch (error) {
          throw errorOf(error);
        } finally {
          signal?.removeEventListener('abort', onAbort);
          if (!response.complete) req.destroy();
        }
      };
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        chunks,
        text: async (limit = 65536) => {
          let text = '';
          for await (const chunk of chunks()) {
            text += chunk;
            if (text.length >= limit) break;
          }
          return withoutSecret(text.slice(0, limit), request.apiKey);
        },
      });
    });
    req.end(body);
  });
}

/** What went wrong before the server answered, and whether trying again may help. */
function connectionError(error: NodeJS.ErrnoException, { label, url }: HttpRequest): Error {
  if (error instanceof CancelledError || error instanceof ModelError) return error;
  switch (error.code) {
    case 'ECONNREFUSED':
      return new UnreachableError(`cannot reach ${label}: connection refused; is the server running, and is the endpoint's port right?`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UnreachableError(`cannot reach ${label}: no host named ${url.hostname}; check --endpoint`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new ModelError(`${label} closed the connection before answering`, true);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new UnreachableError(`cannot reach ${label}: ${error.code === 'ETIMEDOUT' ? 'the connection timed out' : 'no route to the host'}; check --endpoint and the network`);
    default:
      if (/certificate|SSL|TLS/i.test(error.message)) return new UnreachableError(`cannot reach ${label}: TLS failed (${error.message}); check the server's certificate`);
      return new ModelError(`cannot reach ${label}: ${error.message}`, error.message === 'socket hang up');
  }
}

/** Retry-After (seconds or an HTTP date) or OpenAI's retry-after-ms, in milliseconds. */
export function retryAfterMs(headers: IncomingHttpHeaders, now = Date.now()): number | undefined {
  const ms = Number(headers['retry-after-ms']);
  if (headers['retry-after-ms'] !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers['retry-after'];
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
