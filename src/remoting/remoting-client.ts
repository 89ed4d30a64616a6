import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { RemotingConnection } from './remoting-connection.js';

/**
 * Opens a remoting connection to `host:port`, over TLS when `tls` is given (used by tools, tests and forwarded
 * requests; the broker reaches clients over their own connections).
 */
export function connectRemoting(address: string, maxFrameSize = 16 * 1024 * 1024, timeoutMs = 5000, tls?: ConnectionOptions): Promise<RemotingConnection> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  return new Promise((resolve, reject) => {
    const socket: Socket = tls ? connectTls({ ...tls, host, port }) : connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${address} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new RemotingConnection(socket, maxFrameSize));
    });
  });
}
