import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from '../logger.js';
import { loadMessagingService } from './proto.js';
import type { MessagingService } from './messaging-service.js';
import { allowLongDeadlines } from './long-deadlines.js';

/** The gRPC endpoint RocketMQ 5 clients connect to (plaintext; their `sslEnabled` must be off). */
export class GrpcServer {
  private readonly server = new Server();

  constructor(service: MessagingService, private readonly log: Logger) {
    allowLongDeadlines();
    this.server.addService(loadMessagingService(), service.implementation());
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
    });
  }

  /** Lets calls in progress finish for up to `graceMs`, then cuts the rest (held receives, telemetry streams). */
  async close(graceMs = 2000): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.log.debug('gRPC calls cut at shutdown');
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
