import { RefusedRequestCode } from '../protocol/request-code.js';

type Refused = keyof typeof RefusedRequestCode;

const ACL_OFF = 'ACL is off: start the gateway with --acl-file (an Apache plain_acl.yml) to serve it';
const NO_ACL_2 = 'the gateway has no authentication users or ACL 2.0 policies of RocketMQ 5; it serves the plain ACL of an --acl-file';
const NO_REPLICAS = 'the gateway is the only broker of its cluster, with no slaves, replicas or broker containers (the Pulsar store is replicated by Pulsar)';
const NO_COMMIT_LOG = 'the gateway keeps no commit log and page cache to tune';
const NO_ROCKSDB = 'the gateway keeps no RocksDB consume queues';
const NO_LITE_TOPICS = 'RocketMQ 5.5 lite topics are not served';

/**
 * Why the gateway answers these codes REQUEST_CODE_NOT_SUPPORTED: each is a feature of Apache RocketMQ's broker that
 * has no counterpart here (the plain ACL codes: while ACL is off; with --acl-file src/acl serves them), and the
 * README's request code table says the same.
 */
const REASONS: Record<Refused, string> = {
  UPDATE_AND_CREATE_ACL_CONFIG: ACL_OFF,
  DELETE_ACL_CONFIG: ACL_OFF,
  GET_BROKER_CLUSTER_ACL_INFO: ACL_OFF,
  UPDATE_GLOBAL_WHITE_ADDRS_CONFIG: ACL_OFF,
  GET_BROKER_CLUSTER_ACL_CONFIG: ACL_OFF,
  PUT_KV_CONFIG: 'the gateway keeps no name-server KV config: ORDER_TOPIC_CONFIG, its use by clients, spreads ordered topics over several brokers',
  WIPE_WRITE_PERM_OF_BROKER: 'taking one broker of several out of writes has no use with a single broker; updateTopicPerm changes a topic\'s permission',
  ADD_WRITE_PERM_OF_BROKER: 'taking one broker of several out of writes has no use with a single broker; updateTopicPerm changes a topic\'s permission',
  REGISTER_MESSAGE_FILTER_CLASS: 'class filters (filter servers) are gone from RocketMQ 5; subscribe by tag or SQL92',
  CLEAN_EXPIRED_CONSUMEQUEUE: 'there are no consume queue files apart from the messages: retention (--retention-hours) removes old segments itself',
  DELETE_EXPIRED_COMMITLOG: 'there is no commit log: retention (--retention-hours) removes old segments itself',
  CLEAN_UNUSED_TOPIC: 'a deleted topic\'s messages go with it, so no unused topic data is left to clean',
  CHECK_ROCKSDB_CQ_WRITE_PROGRESS: NO_ROCKSDB,
  EXPORT_ROCKSDB_CONFIG_TO_JSON: NO_ROCKSDB,
  SET_MESSAGE_REQUEST_MODE: '4.x clients are served pulls only (RocketMQ 5 clients pop over gRPC)',
  UPDATE_AND_CREATE_STATIC_TOPIC: 'static topics spread logical queues over several brokers',
  ADD_BROKER: NO_REPLICAS,
  REMOVE_BROKER: NO_REPLICAS,
  GET_BROKER_HA_STATUS: NO_REPLICAS,
  RESET_MASTER_FLUSH_OFFSET: NO_REPLICAS,
  GET_BROKER_EPOCH_CACHE: NO_REPLICAS,
  UPDATE_COLD_DATA_FLOW_CTR_CONFIG: NO_COMMIT_LOG,
  REMOVE_COLD_DATA_FLOW_CTR_CONFIG: NO_COMMIT_LOG,
  GET_COLD_DATA_FLOW_CTR_INFO: NO_COMMIT_LOG,
  SET_COMMITLOG_READ_MODE: NO_COMMIT_LOG,
  AUTH_CREATE_USER: NO_ACL_2,
  AUTH_UPDATE_USER: NO_ACL_2,
  AUTH_DELETE_USER: NO_ACL_2,
  AUTH_GET_USER: NO_ACL_2,
  AUTH_LIST_USER: NO_ACL_2,
  AUTH_CREATE_ACL: NO_ACL_2,
  AUTH_UPDATE_ACL: NO_ACL_2,
  AUTH_DELETE_ACL: NO_ACL_2,
  AUTH_GET_ACL: NO_ACL_2,
  AUTH_LIST_ACL: NO_ACL_2,
  SWITCH_TIMER_ENGINE: 'the gateway has one timer: delay levels and delivery times wait in SCHEDULE_TOPIC_XXXX',
  // mqadmin exportPopRecord sends it to move pop checkpoints from a broker's memory to its store.
  POP_ROLLBACK: 'the gateway keeps its pop state in its store already, and 4.x clients do not pop',
  GET_BROKER_LITE_INFO: NO_LITE_TOPICS,
  GET_PARENT_TOPIC_INFO: NO_LITE_TOPICS,
  GET_LITE_TOPIC_INFO: NO_LITE_TOPICS,
  GET_LITE_CLIENT_INFO: NO_LITE_TOPICS,
  GET_LITE_GROUP_INFO: NO_LITE_TOPICS,
  TRIGGER_LITE_DISPATCH: NO_LITE_TOPICS,
};

/** Each refused code with why it is refused. */
export const refusedRequestCodes = (): Array<readonly [code: number, reason: string]> =>
  (Object.keys(REASONS) as Refused[]).map((name) => [RefusedRequestCode[name], REASONS[name]] as const);
