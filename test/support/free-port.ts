import { createServer } from 'node:net';

/** A TCP port free on loopback right now (for a server a test starts and must name before it listens). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    // Never what keeps a process alive (benches and harnesses call this while shutting down too).
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
