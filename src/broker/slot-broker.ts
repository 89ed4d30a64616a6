import type { GatewayConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { MessageStore } from '../store/message-store.js';
import type { RemotingServer, RequestProcessor } from '../remoting/remoting-server.js';
import { RequestCode as C } from '../protocol/request-code.js';
import { registerAdminCodes } from '../admin-codes.js';
import { BrokerContext, type BrokerSettings } from './broker-context.js';
import { ConsumerRegistry } from './consumer-registry.js';
import { LongPolls } from './long-polls.js';
import { SendMessageProcessor } from './send-message-processor.js';
import { PullMessageProcessor } from './pull-message-processor.js';
import { ConsumerOffsetProcessor } from './consumer-offset-processor.js';
import { ClientManageProcessor } from './client-manage-processor.js';
import { QueueLockManager } from './queue-lock-manager.js';
import { QueueLockProcessor } from './queue-lock-processor.js';
import { SendBackProcessor } from './send-back-processor.js';
import { ReplyMessageProcessor } from './reply-message-processor.js';
import { TransactionService, type TransactionSettings } from './transaction-service.js';
import { remotingTransactionChecker } from './remoting-transaction-checker.js';
import { EndTransactionProcessor } from './end-transaction-processor.js';
import { MessageKeyIndex } from './message-key-index.js';
import { ScheduledDeliveryService } from './scheduled-delivery-service.js';
import { PopConsumptionService } from './pop-consumption-service.js';
import { AdminService, type PopConsumers } from './admin-service.js';
import type { TrafficStats } from './traffic-stats.js';
import type { RequestForwarder } from '../cluster/request-forwarder.js';
import { gateBySlotOwner } from '../cluster/slot-request-gate.js';
import type { SlotOwner } from '../cluster/cluster-view.js';

/** Consumers silent for this long are dropped from their group (Apache RocketMQ uses 120 s). */
const CLIENT_EXPIRY_MS = 120_000;
/** Keys of stored messages are written to the key index this often (a query flushes first). */
const KEY_INDEX_FLUSH_MS = 200;
/** An orderly consumer's queue lock lapses unless renewed within this (Apache RocketMQ's lockMaxLiveTime). */
const QUEUE_LOCK_LIFETIME_MS = 60_000;

/** Requests that write or consume a slot's queues: only the slot's owner may answer them. */
const OWNER_ONLY = new Set<number>([
  C.SEND_MESSAGE, C.SEND_MESSAGE_V2, C.SEND_BATCH_MESSAGE, C.SEND_REPLY_MESSAGE, C.SEND_REPLY_MESSAGE_V2,
  C.CONSUMER_SEND_MSG_BACK, C.END_TRANSACTION, C.PULL_MESSAGE, C.LITE_PULL_MESSAGE, C.UPDATE_CONSUMER_OFFSET,
  C.LOCK_BATCH_MQ, C.UNLOCK_BATCH_MQ,
]);

export interface SlotBrokerOptions {
  store: MessageStore;
  settings: BrokerSettings;
  config: GatewayConfig;
  traffic: TrafficStats;
  /** consumers that pop over gRPC, which the admin views list beside the registry's */
  popMembers: PopConsumers['members'];
  /** this gateway's identity among the cluster's gateways */
  gatewayId: string;
  /** the gateway serving this slot, as the cluster last announced it */
  owner: () => SlotOwner | undefined;
  /** passes a request on to the slot's owner, for clients whose routes predate a move */
  forwarder?: RequestForwarder;
  log: Logger;
}

/**
 * One broker of the RocketMQ cluster: what Apache RocketMQ runs per broker (its processors, client registry,
 * long-polling, delayed delivery, transaction check-back, key index, pop state, queue locks) over one slot's view
 * of the store. The services that act on their own (delays, transaction checks, the key index) run only while
 * this gateway owns the slot; requests that write or consume its queues are answered only then.
 */
export class SlotBroker {
  readonly ctx: BrokerContext;
  readonly registry: ConsumerRegistry;
  readonly pops: PopConsumptionService;
  readonly admin: AdminService;
  readonly transactions: TransactionService;
  readonly transactionSettings: TransactionSettings;
  private readonly polls: LongPolls;
  private readonly keyIndex: MessageKeyIndex;
  private readonly scheduled: ScheduledDeliveryService;
  private readonly processors = new Map<number, RequestProcessor>();
  private owned = false;
  private transition: Promise<void> = Promise.resolve();

  constructor(private readonly o: SlotBrokerOptions) {
    const { store, settings, config, log } = o;
    this.keyIndex = new MessageKeyIndex(store, KEY_INDEX_FLUSH_MS, log);
    const ctx = (this.ctx = new BrokerContext(store, settings, log, this.keyIndex, o.traffic));
    this.registry = new ConsumerRegistry(log, CLIENT_EXPIRY_MS);
    this.polls = new LongPolls(store);
    this.pops = new PopConsumptionService(ctx, this.polls);
    this.admin = new AdminService(ctx, this.registry, { members: o.popMembers, offsetsReset: (group, topic) => this.pops.forget(group, topic) });
    this.scheduled = new ScheduledDeliveryService(store, config.delayLevelsMs, async (topic, queueId, message) => {
      const t = await ctx.topicOrCreate(topic);
      await ctx.storeMessages(topic, queueId % t.writeQueueNums, [message]);
    }, log);
    // One object, read by the service at each check round and changed by UPDATE_BROKER_CONFIG.
    this.transactionSettings = {
      checkIntervalMs: config.transactionCheckIntervalMs,
      timeoutMs: config.transactionTimeoutMs,
      maxChecks: config.transactionCheckMax,
    };
    this.transactions = new TransactionService(store, this.transactionSettings, settings.advertisedAddress, (topic, queueId, messages) => ctx.relayMessages(topic, queueId, messages), log);
    this.transactions.addChecker(remotingTransactionChecker(this.registry, settings.advertisedAddress));
    this.collectProcessors();
  }

  get heldPulls(): number {
    return this.polls.heldPulls;
  }

  get isOwned(): boolean {
    return this.owned;
  }

  /** Serves this broker's requests on `server` (its own port); `listenPort` is the port the server bound. */
  registerOn(server: RemotingServer, listenPort: number): void {
    for (const [code, processor] of this.processors) server.register(code, OWNER_ONLY.has(code) ? this.ownerOnly(processor) : processor);
    registerAdminCodes(server, {
      ctx: this.ctx, registry: this.registry, admin: this.admin, traffic: this.o.traffic, config: this.o.config, listenPort, transactionSettings: this.transactionSettings,
    });
    server.on('disconnect', (conn) => this.registry.connectionClosed(conn));
  }

  /** This gateway now owns the slot: rebuild its state from the store and start its services. */
  acquire(): Promise<void> {
    return this.serially(async () => {
      if (this.owned) return;
      await this.keyIndex.start();
      await this.scheduled.start();
      await this.transactions.start();
      this.owned = true;
      this.o.log.info({ broker: this.o.settings.brokerName, address: this.o.settings.advertisedAddress }, 'broker slot acquired');
    });
  }

  /** The slot moved away (or the gateway stops): stop its services and let go of its queues in the store. */
  release(): Promise<void> {
    return this.serially(async () => {
      if (!this.owned) return;
      this.owned = false;
      this.polls.wakeAll();
      this.pops.forgetAll();
      await this.scheduled.stop();
      await this.transactions.stop();
      await this.keyIndex.stop();
      this.o.log.info({ broker: this.o.settings.brokerName }, 'broker slot released');
    });
  }

  /** Stops for good, releasing the slot first. */
  async close(): Promise<void> {
    await this.release();
    this.polls.close();
    this.registry.close();
  }

  private serially(work: () => Promise<void>): Promise<void> {
    this.transition = this.transition.then(work, work);
    return this.transition;
  }

  private ownerOnly(processor: RequestProcessor): RequestProcessor {
    const { settings, gatewayId, owner, forwarder, log } = this.o;
    return gateBySlotOwner(processor, { brokerName: settings.brokerName, gatewayId, served: () => this.owned, owner, forwarder, log });
  }

  private collectProcessors(): void {
    const { ctx, registry, polls, transactions } = this;
    const send = new SendMessageProcessor(ctx, transactions);
    const endTransaction = new EndTransactionProcessor(transactions);
    const sendBack = new SendBackProcessor(ctx);
    const reply = new ReplyMessageProcessor(ctx, registry, send);
    const pull = new PullMessageProcessor(ctx, registry, polls);
    const offsets = new ConsumerOffsetProcessor(ctx);
    const clients = new ClientManageProcessor(ctx, registry);
    const locks = new QueueLockProcessor(new QueueLockManager(QUEUE_LOCK_LIFETIME_MS));
    const table: Array<[number, RequestProcessor]> = [
      [C.SEND_MESSAGE, send.process], [C.SEND_MESSAGE_V2, send.process], [C.SEND_BATCH_MESSAGE, send.process],
      [C.SEND_REPLY_MESSAGE, reply.process], [C.SEND_REPLY_MESSAGE_V2, reply.process],
      [C.CONSUMER_SEND_MSG_BACK, sendBack.process], [C.END_TRANSACTION, endTransaction.process],
      [C.PULL_MESSAGE, pull.process], [C.LITE_PULL_MESSAGE, pull.process],
      [C.QUERY_CONSUMER_OFFSET, offsets.queryConsumerOffset], [C.UPDATE_CONSUMER_OFFSET, offsets.updateConsumerOffset],
      [C.GET_MAX_OFFSET, offsets.getMaxOffset], [C.GET_MIN_OFFSET, offsets.getMinOffset],
      [C.SEARCH_OFFSET_BY_TIMESTAMP, offsets.searchOffsetByTimestamp], [C.GET_EARLIEST_MSG_STORETIME, offsets.getEarliestMsgStoreTime],
      [C.HEART_BEAT, clients.heartbeat], [C.UNREGISTER_CLIENT, clients.unregisterClient],
      [C.GET_CONSUMER_LIST_BY_GROUP, clients.getConsumerListByGroup], [C.CHECK_CLIENT_CONFIG, clients.checkClientConfig],
      [C.LOCK_BATCH_MQ, locks.lockBatch], [C.UNLOCK_BATCH_MQ, locks.unlockBatch],
    ];
    for (const [code, p] of table) this.processors.set(code, p);
  }
}
