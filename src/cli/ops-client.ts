import type { Readable } from 'node:stream';
import { request } from 'undici';
import type { Env } from '../config/env.ts';
import { opsTokenPath, readOpsToken } from '../gateway/ops-token.ts';
import { CliError } from './cli-error.ts';

export class OpsRequestError extends CliError {
  override readonly name = 'OpsRequestError';
}

/** The body as JSON, or undefined: a proxy's HTML error page or another service at GATEWAY_URL is not JSON. */
function parseJson(text: string): { code?: string; detail?: string } | undefined {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return undefined;
  }
}

/**
 * The `intake files` and `intake submit` commands talk to the running gateway: the embedded store belongs to that
 * process, so the CLI never opens it itself.
 */
export function opsClient(env: Env) {
  // GATEWAY_URL's scheme is checked with the other settings (env.ts): `localhost:8081` never gets here.
  const base = env.GATEWAY_URL ?? `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${env.GATEWAY_PORT}`;
  const token = readOpsToken(env.DATA_DIR, env.OPS_TOKEN);
  async function call<T>(method: "GET" | "POST", path: string, body?: { stream: Readable; fileName: string }): Promise<T> {
    let response;
    try {
      response = await request(`${base}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent(body.fileName) } : {}),
        },
        ...(body ? { body: body.stream } : {}),
      });
    } catch (error) {
      throw new OpsRequestError('GATEWAY_NOT_ANSWERING', `the gateway is not answering at ${base} (${(error as Error).message}); start it with \`npm start\` or set GATEWAY_URL`);
    }
    const text = await response.body.text();
    const parsed = parseJson(text);
    if (parsed === undefined) {
      const excerpt = text.slice(0, 200).replace(/\s+/g, ' ');
      throw new OpsRequestError('GATEWAY_ANSWER_NOT_JSON', `${method} ${base}${path} answered ${response.statusCode} with something that is not the gateway's JSON (is GATEWAY_URL the gateway?): ${excerpt}`);
    }
    if (response.statusCode === 401 && !token) {
      throw new OpsRequestError(
        'OPS_TOKEN_MISSING',
        `the gateway at ${base} wants its operations token, and there is none at ${opsTokenPath(env.DATA_DIR)}: run this with the DATA_DIR of the running gateway, or set OPS_TOKEN`,
      );
    }
    if (response.statusCode >= 400) {
      // A server error's detail asks to quote the Correlation-Id: it finds the gateway's log lines of this request.
      const correlationId = response.statusCode >= 500 ? response.headers['correlation-id'] : undefined;
      throw new OpsRequestError(parsed.code ?? `HTTP_${response.statusCode}`, `${response.statusCode} ${parsed.code ?? ''}: ${parsed.detail ?? text}${correlationId ? ` (Correlation-Id: ${correlationId})` : ''}`);
    }
    return parsed as T;
  }
  return {
    base,
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string) => call<T>('POST', path),
    upload: <T>(path: string, stream: Readable, fileName: string) => call<T>('POST', path, { stream, fileName }),
  };
}
