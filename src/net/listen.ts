import type { Server } from 'node:net';

/** Listens on `host`:`port` (0 for an ephemeral one) and resolves with the port bound; a failure to bind rejects. */
export function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
