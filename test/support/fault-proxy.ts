import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

/**
 * A small HTTP proxy of the test's own in front of the real engine, injecting faults into what the gateway sees.
 * For each request, `decide` says what happens:
 * - `pass`: forwarded, the engine's answer returned;
 * - `{ status }` (with optional headers): answered by the proxy, the engine never sees the request;
 * - `{ forwardThen: status }`: forwarded (the engine applies it), then the answer replaced by `status`;
 * - `hang`: never answered, never forwarded (the client times out);
 * - `forwardThenHang`: forwarded (applied), then never answered (the client times out and retries).
 */
export type FaultAction =
  | 'pass'
  | 'hang'
  | 'forwardThenHang'
  | { status: number; headers?: Record<string, string>; body?: string }
  | { forwardThen: number; headers?: Record<string, string> };

export interface ProxiedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** 0-based count of POST /v1/documents requests so far (undefined for other requests). */
  documentIndex: number | undefined;
}

export interface FaultProxy {
  url: string;
  /** What happened, per action kind (pass, status:500, hang, …). */
  readonly counts: Record<string, number>;
  /** Document requests seen, per Idempotency-Key. */
  readonly keys: Map<string, number>;
  setDecide(decide: (request: ProxiedRequest) => FaultAction): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length', 'upgrade', 'proxy-connection']);

export async function startFaultProxy(targetUrl: string, decide: (request: ProxiedRequest) => FaultAction = () => 'pass'): Promise<FaultProxy> {
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
  const counts: Record<string, number> = {};
  const keys = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  let documents = 0;
  let current = decide;

  const forward = async (req: IncomingMessage, body: Buffer) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const response = await request(`${targetUrl}${req.url ?? '/'}`, {
      method: req.method as 'POST',
      headers,
      body: body.length > 0 ? body : null,
      dispatcher,
    });
    return { status: response.statusCode, headers: response.headers, body: Buffer.from(await response.body.arrayBuffer()) };
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const path = (req.url ?? '/').split('?')[0]!;
        const isDocument = req.method === 'POST' && path === '/v1/documents';
        const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
        if (isDocument && key) keys.set(key, (keys.get(key) ?? 0) + 1);
        const action = current({ method: req.method ?? 'GET', path, headers: req.headers, documentIndex: isDocument ? documents++ : undefined });
        const kind = typeof action === 'string' ? action : 'status' in action ? `status:${action.status}` : `forwardThen:${action.forwardThen}`;
        counts[kind] = (counts[kind] ?? 0) + 1;
        const hang = () => {
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
        };
        try {
          if (action === 'hang') return hang();
          if (typeof action === 'object' && 'status' in action) {
            res.writeHead(action.status, { 'content-type': 'application/problem+json', ...action.headers });
            res.end(action.body ?? JSON.stringify({ type: 'about:blank', title: 'injected fault', status: action.status, detail: `injected ${action.status}` }));
            return;
          }
          const answer = await forward(req, body);
          if (action === 'forwardThenHang') return hang();
          if (typeof action === 'object' && 'forwardThen' in action) {
            res.writeHead(action.forwardThen, { 'content-type': 'application/problem+json', ...action.headers });
            res.end(JSON.stringify({ type: 'about:blank', title: 'injected fault', status: action.forwardThen, detail: `applied, then answered ${action.forwardThen}` }));
            return;
          }
          const headers: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
          res.writeHead(answer.status, headers);
          res.end(answer.body);
        } catch (error) {
          // The engine is down (connection refused): the gateway sees a 502, as behind any real proxy.
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`proxy: ${(error as Error).message}`);
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    keys,
    setDecide(decide) {
      current = decide;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dispatcher.close();
    },
  };
}
