import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { decodeHeader } from '../protocol/request-header.js';
import { DeleteSubscriptionGroupHeader } from '../protocol/request-headers.js';
import { ResponseCode } from '../protocol/request-code.js';
import { jsonBody } from '../protocol/bodies.js';
import { defaultSubscriptionGroupConfig, parseSubscriptionGroupConfig, parseSubscriptionGroupList, type SubscriptionGroupConfigBody } from '../protocol/admin-bodies.js';
import { validateGroupName, type BrokerContext } from './broker-context.js';
import type { AdminService } from './admin-service.js';

/**
 * Subscription group configs, as `mqadmin updateSubGroup`, `deleteSubGroup` and `getConsumerConfig` declare and
 * read them: UPDATE_AND_CREATE_SUBSCRIPTIONGROUP(_LIST), DELETE_SUBSCRIPTIONGROUP, GET_ALL_SUBSCRIPTIONGROUP_CONFIG. They are
 * kept in the store and read back; the gateway does not act on their settings.
 */
export class SubscriptionGroupProcessor {
  constructor(private readonly ctx: BrokerContext, private readonly admin: AdminService) {}

  readonly updateAndCreate = (req: RemotingCommand): Promise<RemotingCommand> => this.put(req, [parseSubscriptionGroupConfig(req.body)]);

  /** UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST (`mqadmin updateSubGroupList`): every group is checked before any is kept. */
  readonly updateAndCreateList = (req: RemotingCommand): Promise<RemotingCommand> => this.put(req, parseSubscriptionGroupList(req.body));

  /** Deleting a group nobody declared succeeds, as in Apache RocketMQ; `cleanOffset` also forgets its committed offsets. */
  readonly delete = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(DeleteSubscriptionGroupHeader, req.extFields);
    const group = h.groupName;
    await this.ctx.store.deleteSubscriptionGroup(group);
    if (h.cleanOffset === true) await this.ctx.store.deleteCommittedOffsets(group);
    this.ctx.log.info({ group, cleanOffset: h.cleanOffset ?? false }, 'subscription group deleted');
    return createResponse(req, ResponseCode.SUCCESS);
  };

  /**
   * GET_ALL_SUBSCRIPTIONGROUP_CONFIG, which `mqadmin getConsumerConfig` reads a group from: the declared configs,
   * and the defaults for groups that consumers use without a declaration (Apache RocketMQ creates those for
   * them). All in one answer: without a totalGroupNum header the client asks for no further pages.
   */
  readonly getAll = (req: RemotingCommand): RemotingCommand => {
    const table: Record<string, SubscriptionGroupConfigBody> = {};
    for (const group of this.admin.groupNames()) table[group] = defaultSubscriptionGroupConfig(group);
    for (const config of this.ctx.store.listSubscriptionGroups()) table[config.groupName] = config;
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, jsonBody({ subscriptionGroupTable: table, forbiddenTable: {} }));
  };

  private async put(req: RemotingCommand, configs: SubscriptionGroupConfigBody[]): Promise<RemotingCommand> {
    for (const config of configs) validateGroupName(config.groupName);
    for (const config of configs) {
      const existed = this.ctx.store.getSubscriptionGroup(config.groupName) !== undefined;
      await this.ctx.store.putSubscriptionGroup(config);
      this.ctx.log.info({ group: config.groupName }, existed ? 'subscription group updated' : 'subscription group created');
    }
    return createResponse(req, ResponseCode.SUCCESS);
  }
}
