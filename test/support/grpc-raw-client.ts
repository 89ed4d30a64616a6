import { credentials, makeClientConstructor, Metadata, type ChannelOptions, type Client, type ClientDuplexStream, type ClientReadableStream } from '@grpc/grpc-js';
import { loadMessagingService } from '../../src/grpc/proto.js';

// A bare grpc-js client of apache.rocketmq.v2.MessagingService with Apache's protocol definitions, for requests
// the RocketMQ 5 clients never send (refusals, odd settings) and for comparing the gateway with Apache's proxy.
// It sends the headers Apache's proxy needs besides the client id: a language it knows (the Node client's
// 'HTTP', as LanguageCode has no NODE_JS) and a deadline on every call (the proxy derives its long polling from it).

type Unary = (request: unknown, metadata: Metadata, options: { deadline: number }, callback: (err: Error | null, response: Record<string, unknown>) => void) => void;
type ServerStreaming = (request: unknown, metadata: Metadata, options: { deadline: number }) => ClientReadableStream<Record<string, unknown>>;
type Response = Record<string, unknown>;

export interface RawGrpcClient {
  /** A unary call as `clientId` ('' sends no client id). */
  call(method: string, request: unknown, clientId?: string): Promise<Response>;
  /** The first response of a server-streaming call. */
  firstOf(method: string, request: unknown, clientId?: string): Promise<Response>;
  /** Every response of a server-streaming call, until the server ends it (rejects after `timeoutMs`). */
  allOf(method: string, request: unknown, clientId?: string, timeoutMs?: number): Promise<Response[]>;
  /** Opens a Telemetry stream, writes `commands`, and collects the first `answers` commands the server sends back. */
  telemetry(commands: unknown[], answers: number, clientId?: string): Promise<Response[]>;
  /**
   * Opens a Telemetry stream as `clientId` and writes `settings`; resolves with the server's answer once it comes,
   * the stream left open (servers forget a client's settings when its stream ends) until `close()`.
   */
  session(settings: unknown, clientId: string): Promise<{ answer: Response; close(): void }>;
  close(): void;
}

export interface RawGrpcClientOptions {
  /** the client id of calls that name none */
  clientId?: string;
  /** grpc-js channel options, e.g. raised message size limits */
  channelOptions?: ChannelOptions;
  /** each call's deadline, from when it is made */
  deadlineMs?: number;
}

const status = (r: Response): { code: string; message: string } => r.status as { code: string; message: string };

/** The status code name of a response ('OK', 'TOPIC_NOT_FOUND', ...). */
export const statusOf = (r: Response): string => status(r).code;

/** The status code name and message of a response on one line, for reports. */
export const statusText = (r: Response): string => `${status(r).code} (${status(r).message.replace(/\s+/g, ' ').trim()})`;

/** A plaintext client of the MessagingService at `address` (host:port). */
export function rawGrpcClient(address: string, options: RawGrpcClientOptions = {}): RawGrpcClient {
  const { clientId: defaultClientId = 'raw-test-client', channelOptions = {}, deadlineMs = 30_000 } = options;
  const Ctor = makeClientConstructor(loadMessagingService(), 'MessagingService');
  const client = new Ctor(address, credentials.createInsecure(), channelOptions) as Client & Record<string, Unary> & { Telemetry(metadata: Metadata): ClientDuplexStream<unknown, Response> };
  const metadataOf = (clientId: string): Metadata => {
    const metadata = new Metadata();
    if (clientId) metadata.set('x-mq-client-id', clientId);
    metadata.set('x-mq-language', 'HTTP');
    metadata.set('x-mq-protocol', 'v2');
    return metadata;
  };
  const deadline = () => ({ deadline: Date.now() + deadlineMs });
  const serverStream = (method: string, request: unknown, clientId: string) =>
    (client as unknown as Record<string, ServerStreaming>)[method]!.call(client, request, metadataOf(clientId), deadline());
  return {
    call(method, request, clientId = defaultClientId) {
      return new Promise((resolve, reject) => client[method]!.call(client, request, metadataOf(clientId), deadline(), (err, response) => (err ? reject(err) : resolve(response))));
    },
    firstOf(method, request, clientId = defaultClientId) {
      const stream = serverStream(method, request, clientId);
      return new Promise((resolve, reject) => {
        stream.once('data', (first) => {
          resolve(first);
          stream.cancel();
        });
        stream.once('error', reject);
      });
    },
    allOf(method, request, clientId = defaultClientId, timeoutMs = deadlineMs) {
      const stream = serverStream(method, request, clientId);
      const responses: Response[] = [];
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          stream.cancel();
          reject(new Error(`${method} did not end within ${timeoutMs} ms (${responses.length} responses so far)`));
        }, timeoutMs);
        stream.on('data', (r: Response) => responses.push(r));
        stream.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        stream.once('end', () => {
          clearTimeout(timer);
          resolve(responses);
        });
      });
    },
    telemetry(commands, expected, clientId = 'raw-telemetry-client') {
      const stream = client.Telemetry(metadataOf(clientId));
      const answers: Response[] = [];
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          stream.cancel();
          reject(new Error(`${answers.length} of ${expected} telemetry answers within 10 s`));
        }, 10_000);
        stream.on('error', reject);
        stream.on('data', (answer: Response) => {
          answers.push(answer);
          if (answers.length === expected) stream.end();
        });
        stream.on('end', () => {
          clearTimeout(timer);
          resolve(answers);
        });
        for (const c of commands) stream.write(c);
      });
    },
    session(settings, clientId) {
      const stream = client.Telemetry(metadataOf(clientId));
      const close = () => {
        stream.end();
        stream.cancel();
      };
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          close();
          reject(new Error('no answer to the settings within 10 s'));
        }, 10_000);
        // A cancelled stream reports CANCELLED: expected once the session is closed.
        stream.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        stream.once('data', (answer: Response) => {
          clearTimeout(timer);
          resolve({ answer, close });
        });
        stream.write({ settings });
      });
    },
    close: () => client.close(),
  };
}
