export { startGateway, type Gateway } from './gateway.js';
export { defaultConfig, type GatewayConfig } from './config.js';
export type { MessageStore, StoredMessage, NewMessage, TopicConfig, ReadResult } from './store/message-store.js';
