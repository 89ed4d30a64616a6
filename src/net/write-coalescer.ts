import type { Socket } from 'node:net';

/**
 * Writes to a socket, gathering everything written in one turn of the event loop into a single
 * writev: a busy connection then costs a syscall per turn instead of one per frame.
 */
export class WriteCoalescer {
  private corked = false;

  constructor(private readonly socket: Socket) {}

  write(chunk: Buffer): boolean {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    return this.socket.write(chunk);
  }
}
