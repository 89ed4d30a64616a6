import type { Socket } from 'node:net';

/**
 * Writes to a socket, gathering what is written together into a single writev: a busy connection then
 * costs a syscall per gathering instead of one per frame. `tick` gathers what one callback writes (a reply to
 * one read); `iteration` gathers a whole turn of the event loop, up to its check phase, which suits a connection
 * that many other connections' requests write to (a gateway's connection to Pulsar).
 */
export class WriteCoalescer {
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  constructor(private readonly socket: Socket, private readonly gather: 'tick' | 'iteration' = 'tick') {}

  write(chunk: Buffer): boolean {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      if (this.gather === 'tick') process.nextTick(this.uncork);
      else setImmediate(this.uncork);
    }
    return this.socket.write(chunk);
  }
}
