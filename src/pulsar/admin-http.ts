import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { PulsarAccessError } from './errors.js';
import { tlsConnectOptions, isCertificateError, type PulsarTlsOptions } from './tls.js';
import type { PulsarAuthentication } from './auth.js';

export interface AdminHttpOptions {
  timeoutMs: number;
  /** How an https:// admin URL's certificate is checked (default: Node's CAs, host name checked). */
  tls?: PulsarTlsOptions;
  auth?: PulsarAuthentication;
}

export interface AdminHttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * HTTP(S) calls to a Pulsar admin endpoint over keep-alive connections, with the credentials as headers.
 * node:http rather than fetch: fetch cannot be given a CA to trust without the undici package.
 */
export class AdminHttp {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly secure: boolean;

  constructor(base: string, private readonly opts: AdminHttpOptions) {
    this.url = new URL(base);
    this.secure = this.url.protocol === 'https:';
    this.agent = this.secure
      ? new HttpsAgent({ keepAlive: true, ...tlsConnectOptions(this.url.hostname, opts.tls ?? { verifyHostname: true }) })
      : new HttpAgent({ keepAlive: true });
  }

  async request(method: string, path: string, body?: string, contentType?: string): Promise<AdminHttpResponse> {
    try {
      return await this.once(method, path, body, contentType);
    } catch (err) {
      // A kept-alive connection the server closed while idle fails on reuse before the server saw the call.
      if ((err as { staleConnection?: boolean }).staleConnection) return this.once(method, path, body, contentType);
      throw err;
    }
  }

  private once(method: string, path: string, body?: string, contentType?: string): Promise<AdminHttpResponse> {
    const headers: Record<string, string> = { ...this.opts.auth?.httpHeaders() };
    if (body !== undefined) {
      headers['content-type'] = contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const send = this.secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(new URL(this.url.pathname.replace(/\/+$/, '') + path, this.url), {
        method, headers, agent: this.agent, signal: AbortSignal.timeout(this.opts.timeoutMs),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          if (status === 401 || status === 403) {
            // Jetty answers an unauthenticated call with an HTML page; its status line says it in one line.
            const reason = text.trimStart().startsWith('<') ? res.statusMessage ?? '' : reasonOf(text);
            reject(new PulsarAccessError(`Pulsar admin at ${this.url.host} refused the credentials: ${method} ${path}: HTTP ${status} ${reason}`));
          } else {
            resolve({ status, headers: res.headers, text });
          }
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (isCertificateError(err)) {
          reject(new PulsarAccessError(`TLS connection to Pulsar admin at ${this.url.host} refused its certificate: ${err.message}`));
          return;
        }
        reject(req.reusedSocket && err.code === 'ECONNRESET' ? Object.assign(err, { staleConnection: true }) : err);
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The broker's reason from an error body: JSON `{ reason }` or plain text. */
export function reasonOf(text: string): string {
  try {
    return (JSON.parse(text) as { reason?: string }).reason ?? text;
  } catch {
    return text;
  }
}
