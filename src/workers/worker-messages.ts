import type { SubscriptionGroupConfig, TopicConfig } from '../store/message-store.js';
import type { SlotOwner } from '../cluster/cluster-view.js';

/** A change to the configuration every worker holds alike: topics and subscription groups. */
export type ConfigChange =
  | { kind: 'putTopic'; config: TopicConfig }
  | { kind: 'deleteTopic'; name: string }
  | { kind: 'putGroup'; config: SubscriptionGroupConfig }
  | { kind: 'deleteGroup'; name: string };

export interface ConfigTables {
  topics: TopicConfig[];
  groups: SubscriptionGroupConfig[];
}

/** Where a started worker answers, for the primary's own "listening" line. */
export interface WorkerPorts {
  port: number;
  httpPort?: number;
  grpcPort?: number;
  address: string;
}

/** One worker's metrics as prom-client's registry gives them as JSON, which its aggregation takes. */
export type WorkerMetrics = object[];

/** What a worker tells the primary process. */
export type WorkerMessage =
  | { t: 'tables'; id: number; tables: ConfigTables }
  | { t: 'change'; id: number; change: ConfigChange }
  | { t: 'applied'; id: number }
  | { t: 'announce'; slot: number; owner: SlotOwner }
  | { t: 'listening'; ports: WorkerPorts }
  /** asks for every other worker's metrics */
  | { t: 'metrics'; id: number }
  /** this worker's metrics, answering a 'collect' */
  | { t: 'metricsOf'; id: number; metrics: WorkerMetrics };

/** What the primary process tells a worker. */
export type PrimaryMessage =
  | { t: 'reply'; id: number; tables?: ConfigTables; metrics?: WorkerMetrics[] }
  | { t: 'apply'; id: number; change: ConfigChange }
  | { t: 'collect'; id: number }
  | { t: 'owners'; owners: Array<[number, SlotOwner]> };
