import { connect } from 'node:net';
import { RemotingConnection } from './remoting-connection.js';

/** Opens a remoting connection to `host:port` (used by tools and tests; the broker reaches clients over their own connections). */
export function connectRemoting(address: string, maxFrameSize = 16 * 1024 * 1024, timeoutMs = 5000): Promise<RemotingConnection> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${address} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new RemotingConnection(socket, maxFrameSize));
    });
  });
}
