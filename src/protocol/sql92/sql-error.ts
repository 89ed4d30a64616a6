/** Thrown by compileSql92 for an expression Apache RocketMQ's SqlFilter would refuse; message says where and why. */
export class SqlFilterError extends Error {
  override readonly name = 'SqlFilterError';

  /** position: the 0-based index in the expression where the problem was found, when there is one place to blame. */
  constructor(reason: string, readonly position?: number) {
    super(`invalid SQL92 filter: ${reason}${position === undefined ? '' : ` at position ${position}`}`);
  }
}
