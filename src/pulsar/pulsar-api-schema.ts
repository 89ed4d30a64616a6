// The subset of Pulsar's binary-protocol schema (pulsar.proto, proto2) this client speaks.
// Field numbers and enum values are wire facts and must match the broker; messages, fields and
// commands we never send or read are left out, which proto2 decoders skip safely.
export const PULSAR_API_SCHEMA = `
syntax = "proto2";
package pulsar.proto;

message KeyValue { required string key = 1; required string value = 2; }
message KeyLongValue { required string key = 1; required uint64 value = 2; }

message MessageIdData {
  required uint64 ledgerId = 1;
  required uint64 entryId = 2;
  optional int32 partition = 3 [default = -1];
  optional int32 batch_index = 4 [default = -1];
  repeated int64 ack_set = 5;
  optional int32 batch_size = 6;
}

enum CompressionType { NONE = 0; LZ4 = 1; ZLIB = 2; ZSTD = 3; SNAPPY = 4; }

message MessageMetadata {
  required string producer_name = 1;
  required uint64 sequence_id = 2;
  required uint64 publish_time = 3;
  repeated KeyValue properties = 4;
  optional string replicated_from = 5;
  optional string partition_key = 6;
  optional CompressionType compression = 8 [default = NONE];
  optional uint32 uncompressed_size = 9 [default = 0];
  optional int32 num_messages_in_batch = 11 [default = 1];
  optional uint64 event_time = 12 [default = 0];
  optional bool partition_key_b64_encoded = 17 [default = false];
  optional bytes ordering_key = 18;
  optional int64 deliver_at_time = 19;
  optional int32 marker_type = 20;
  optional uint64 highest_sequence_id = 24 [default = 0];
  optional bool null_value = 25 [default = false];
  optional string uuid = 26;
  optional int32 num_chunks_from_msg = 27;
  optional int32 chunk_id = 29;
}

message SingleMessageMetadata {
  repeated KeyValue properties = 1;
  optional string partition_key = 2;
  required int32 payload_size = 3;
  optional bool compacted_out = 4 [default = false];
  optional uint64 event_time = 5 [default = 0];
  optional bool partition_key_b64_encoded = 6 [default = false];
  optional bytes ordering_key = 7;
  optional uint64 sequence_id = 8;
  optional bool null_value = 9 [default = false];
}

message BrokerEntryMetadata {
  optional uint64 broker_timestamp = 1;
  optional uint64 index = 2;
}

enum ServerError {
  UnknownError = 0; MetadataError = 1; PersistenceError = 2; AuthenticationError = 3; AuthorizationError = 4;
  ConsumerBusy = 5; ServiceNotReady = 6; ProducerBlockedQuotaExceededError = 7; ProducerBlockedQuotaExceededException = 8;
  ChecksumError = 9; UnsupportedVersionError = 10; TopicNotFound = 11; SubscriptionNotFound = 12; ConsumerNotFound = 13;
  TooManyRequests = 14; TopicTerminatedError = 15; ProducerBusy = 16; InvalidTopicName = 17; IncompatibleSchema = 18;
  ConsumerAssignError = 19; TransactionCoordinatorNotFound = 20; InvalidTxnStatus = 21; NotAllowedError = 22;
  TransactionConflict = 23; TransactionNotFound = 24; ProducerFenced = 25;
}

message FeatureFlags {
  optional bool supports_auth_refresh = 1 [default = false];
  optional bool supports_broker_entry_metadata = 2 [default = false];
  optional bool supports_partial_producer = 3 [default = false];
  optional bool supports_topic_watchers = 4 [default = false];
}

message CommandConnect {
  required string client_version = 1;
  optional string auth_method_name = 5;
  optional bytes auth_data = 3;
  optional int32 protocol_version = 4 [default = 0];
  optional FeatureFlags feature_flags = 10;
}
message CommandConnected {
  required string server_version = 1;
  optional int32 protocol_version = 2 [default = 0];
  optional int32 max_message_size = 3;
  optional FeatureFlags feature_flags = 4;
}
message AuthData {
  optional string auth_method_name = 1;
  optional bytes auth_data = 2;
}
message CommandAuthChallenge {
  optional string server_version = 1;
  optional AuthData challenge = 2;
  optional int32 protocol_version = 3 [default = 0];
}
message CommandAuthResponse {
  optional string client_version = 1;
  optional AuthData response = 2;
  optional int32 protocol_version = 3 [default = 0];
}

message CommandSubscribe {
  enum SubType { Exclusive = 0; Shared = 1; Failover = 2; Key_Shared = 3; }
  enum InitialPosition { Latest = 0; Earliest = 1; }
  required string topic = 1;
  required string subscription = 2;
  required SubType subType = 3;
  required uint64 consumer_id = 4;
  required uint64 request_id = 5;
  optional string consumer_name = 6;
  optional bool durable = 8 [default = true];
  optional MessageIdData start_message_id = 9;
  optional bool read_compacted = 11;
  optional InitialPosition initialPosition = 13 [default = Latest];
}

message CommandPartitionedTopicMetadata { required string topic = 1; required uint64 request_id = 2; }
message CommandPartitionedTopicMetadataResponse {
  enum LookupType { Success = 0; Failed = 1; }
  optional uint32 partitions = 1;
  required uint64 request_id = 2;
  optional LookupType response = 3;
  optional ServerError error = 4;
  optional string message = 5;
}

message CommandLookupTopic {
  required string topic = 1;
  required uint64 request_id = 2;
  optional bool authoritative = 3 [default = false];
}
message CommandLookupTopicResponse {
  enum LookupType { Redirect = 0; Connect = 1; Failed = 2; }
  optional string brokerServiceUrl = 1;
  optional string brokerServiceUrlTls = 2;
  optional LookupType response = 3;
  required uint64 request_id = 4;
  optional bool authoritative = 5 [default = false];
  optional ServerError error = 6;
  optional string message = 7;
  optional bool proxy_through_service_url = 8 [default = false];
}

enum ProducerAccessMode { Shared = 0; Exclusive = 1; WaitForExclusive = 2; ExclusiveWithFencing = 3; }

message CommandProducer {
  required string topic = 1;
  required uint64 producer_id = 2;
  required uint64 request_id = 3;
  optional string producer_name = 4;
  optional uint64 epoch = 8 [default = 0];
  optional bool user_provided_producer_name = 9 [default = true];
  optional ProducerAccessMode producer_access_mode = 10 [default = Shared];
  optional uint64 topic_epoch = 11;
}
message CommandProducerSuccess {
  required uint64 request_id = 1;
  required string producer_name = 2;
  optional int64 last_sequence_id = 3 [default = -1];
  optional uint64 topic_epoch = 5;
  optional bool producer_ready = 6 [default = true];
}

message CommandSend {
  required uint64 producer_id = 1;
  required uint64 sequence_id = 2;
  optional int32 num_messages = 3 [default = 1];
  optional uint64 highest_sequence_id = 6 [default = 0];
}
message CommandSendReceipt {
  required uint64 producer_id = 1;
  required uint64 sequence_id = 2;
  optional MessageIdData message_id = 3;
  optional uint64 highest_sequence_id = 4 [default = 0];
}
message CommandSendError {
  required uint64 producer_id = 1;
  required uint64 sequence_id = 2;
  required ServerError error = 3;
  required string message = 4;
}

message CommandMessage {
  required uint64 consumer_id = 1;
  required MessageIdData message_id = 2;
  optional uint32 redelivery_count = 3 [default = 0];
  repeated int64 ack_set = 4;
}
message CommandAck {
  enum AckType { Individual = 0; Cumulative = 1; }
  required uint64 consumer_id = 1;
  required AckType ack_type = 2;
  repeated MessageIdData message_id = 3;
  optional uint64 request_id = 8;
}
message CommandFlow { required uint64 consumer_id = 1; required uint32 messagePermits = 2; }
message CommandUnsubscribe { required uint64 consumer_id = 1; required uint64 request_id = 2; }
message CommandSeek {
  required uint64 consumer_id = 1;
  required uint64 request_id = 2;
  optional MessageIdData message_id = 3;
  optional uint64 message_publish_time = 4;
}
message CommandReachedEndOfTopic { required uint64 consumer_id = 1; }
message CommandCloseProducer { required uint64 producer_id = 1; required uint64 request_id = 2; }
message CommandCloseConsumer { required uint64 consumer_id = 1; required uint64 request_id = 2; }
message CommandSuccess { required uint64 request_id = 1; }
message CommandError { required uint64 request_id = 1; required ServerError error = 2; required string message = 3; }
message CommandPing {}
message CommandPong {}
message CommandGetLastMessageId { required uint64 consumer_id = 1; required uint64 request_id = 2; }
message CommandGetLastMessageIdResponse {
  required MessageIdData last_message_id = 1;
  required uint64 request_id = 2;
  optional MessageIdData consumer_mark_delete_position = 3;
}
message CommandActiveConsumerChange { required uint64 consumer_id = 1; optional bool is_active = 2 [default = false]; }
message CommandTopicMigrated {
  enum ResourceType { Producer = 0; Consumer = 1; }
  required uint64 resource_id = 1;
  required ResourceType resource_type = 2;
  optional string brokerServiceUrl = 3;
}

message BaseCommand {
  enum Type {
    CONNECT = 2; CONNECTED = 3; SUBSCRIBE = 4; PRODUCER = 5; SEND = 6; SEND_RECEIPT = 7; SEND_ERROR = 8;
    MESSAGE = 9; ACK = 10; FLOW = 11; UNSUBSCRIBE = 12; SUCCESS = 13; ERROR = 14; CLOSE_PRODUCER = 15;
    CLOSE_CONSUMER = 16; PRODUCER_SUCCESS = 17; PING = 18; PONG = 19; REDELIVER_UNACKNOWLEDGED_MESSAGES = 20;
    PARTITIONED_METADATA = 21; PARTITIONED_METADATA_RESPONSE = 22; LOOKUP = 23; LOOKUP_RESPONSE = 24;
    CONSUMER_STATS = 25; CONSUMER_STATS_RESPONSE = 26; REACHED_END_OF_TOPIC = 27; SEEK = 28;
    GET_LAST_MESSAGE_ID = 29; GET_LAST_MESSAGE_ID_RESPONSE = 30; ACTIVE_CONSUMER_CHANGE = 31;
    GET_TOPICS_OF_NAMESPACE = 32; GET_TOPICS_OF_NAMESPACE_RESPONSE = 33; GET_SCHEMA = 34; GET_SCHEMA_RESPONSE = 35;
    AUTH_CHALLENGE = 36; AUTH_RESPONSE = 37; ACK_RESPONSE = 38; TOPIC_MIGRATED = 68;
  }
  required Type type = 1;
  optional CommandConnect connect = 2;
  optional CommandConnected connected = 3;
  optional CommandSubscribe subscribe = 4;
  optional CommandProducer producer = 5;
  optional CommandSend send = 6;
  optional CommandSendReceipt send_receipt = 7;
  optional CommandSendError send_error = 8;
  optional CommandMessage message = 9;
  optional CommandAck ack = 10;
  optional CommandFlow flow = 11;
  optional CommandUnsubscribe unsubscribe = 12;
  optional CommandSuccess success = 13;
  optional CommandError error = 14;
  optional CommandCloseProducer close_producer = 15;
  optional CommandCloseConsumer close_consumer = 16;
  optional CommandProducerSuccess producer_success = 17;
  optional CommandPing ping = 18;
  optional CommandPong pong = 19;
  optional CommandPartitionedTopicMetadata partitionMetadata = 21;
  optional CommandPartitionedTopicMetadataResponse partitionMetadataResponse = 22;
  optional CommandLookupTopic lookupTopic = 23;
  optional CommandLookupTopicResponse lookupTopicResponse = 24;
  optional CommandReachedEndOfTopic reachedEndOfTopic = 27;
  optional CommandSeek seek = 28;
  optional CommandGetLastMessageId getLastMessageId = 29;
  optional CommandGetLastMessageIdResponse getLastMessageIdResponse = 30;
  optional CommandActiveConsumerChange active_consumer_change = 31;
  optional CommandAuthChallenge authChallenge = 36;
  optional CommandAuthResponse authResponse = 37;
  optional CommandTopicMigrated topicMigrated = 68;
}
`;
