// Waits for a server to accept connections on 127.0.0.1.
import { connect } from 'node:net';

export function waitForPort(port, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((done, reject) => {
    const attempt = () => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => { s.destroy(); done(); });
      s.once('error', () => {
        if (Date.now() > deadline) reject(new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs / 1000} s`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}
