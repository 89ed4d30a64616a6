/**
 * What the broker reports of the messages it moves, for metrics. The broker calls it on its hot paths,
 * so an implementation must be cheap: count, do not compute.
 */
export interface TrafficObserver {
  /** messages a client sent that the store accepted */
  messagesIn(topic: string, count: number, bytes: number): void;
  /** messages a pull handed to a consumer group */
  messagesOut(group: string, topic: string, count: number, bytes: number): void;
}

export const ignoreTraffic: TrafficObserver = { messagesIn: () => undefined, messagesOut: () => undefined };
