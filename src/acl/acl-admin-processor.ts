import type { RemotingServer } from '../remoting/remoting-server.js';
import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { RefusedRequestCode as R, ResponseCode } from '../protocol/request-code.js';
import { declareHeader, decodeHeader, optBool, optStr, str } from '../protocol/request-header.js';
import { jsonBody } from '../protocol/bodies.js';
import { AclChangeError, type AclFile } from './acl-file.js';

/** Apache's ResponseCode values for ACL changes that could not be made. */
const UPDATE_AND_CREATE_ACL_CONFIG_FAILED = 209;
const DELETE_ACL_CONFIG_FAILED = 210;
const UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED = 211;

// Apache's CreateAccessConfigRequestHeader, DeleteAccessConfigRequestHeader, UpdateGlobalWhiteAddrsConfigRequestHeader.
const CreateAccessConfigHeader = declareHeader({
  accessKey: str(), secretKey: optStr(), whiteRemoteAddress: optStr(), admin: optBool(), defaultTopicPerm: optStr(),
  defaultGroupPerm: optStr(), topicPerms: optStr(), groupPerms: optStr(),
});
const DeleteAccessConfigHeader = declareHeader({ accessKey: str() });
const UpdateGlobalWhiteAddrsHeader = declareHeader({ globalWhiteAddrs: optStr(), aclFileFullPath: optStr() });

/** Apache's UtilAll.split: comma-separated, blanks dropped; undefined for none given. */
const commaList = (text: string | undefined): string[] | undefined =>
  text === undefined ? undefined : text.split(',').map((s) => s.trim()).filter((s) => s !== '');

/** SUCCESS once `change` is made; `failed` with the reason when the change is refused, as Apache answers. */
function attempt(req: RemotingCommand, failed: number, change: () => void): RemotingCommand {
  try {
    change();
  } catch (err) {
    if (err instanceof AclChangeError) return createResponse(req, failed, err.message);
    throw err;
  }
  return createResponse(req, ResponseCode.SUCCESS);
}

/** Where this broker is, as GET_BROKER_CLUSTER_ACL_INFO reports it. */
export interface AclBrokerIdentity {
  clusterName: string;
  brokerName: string;
  brokerAddr: string;
}

/**
 * mqadmin's plain ACL codes (updateAclConfig, deleteAclConfig, updateGlobalWhiteAddr, clusterAclConfigVersion,
 * getAclConfig), served from and written back to the --acl-file. Only admin accounts reach them (remoting-resources).
 */
export function registerAclAdminCodes(server: RemotingServer, file: AclFile, broker: AclBrokerIdentity): void {
  server.register(R.UPDATE_AND_CREATE_ACL_CONFIG, (req) => {
    const h = decodeHeader(CreateAccessConfigHeader, req.extFields);
    return attempt(req, UPDATE_AND_CREATE_ACL_CONFIG_FAILED, () => file.updateAccount({
      accessKey: h.accessKey, secretKey: h.secretKey, whiteRemoteAddress: h.whiteRemoteAddress, admin: h.admin === true,
      defaultTopicPerm: h.defaultTopicPerm, defaultGroupPerm: h.defaultGroupPerm, topicPerms: commaList(h.topicPerms), groupPerms: commaList(h.groupPerms),
    }));
  });
  server.register(R.DELETE_ACL_CONFIG, (req) => {
    const { accessKey } = decodeHeader(DeleteAccessConfigHeader, req.extFields);
    if (file.deleteAccount(accessKey)) return createResponse(req, ResponseCode.SUCCESS);
    return createResponse(req, DELETE_ACL_CONFIG_FAILED, `no ACL account has AccessKey ${accessKey}`);
  });
  server.register(R.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, (req) => {
    const { globalWhiteAddrs } = decodeHeader(UpdateGlobalWhiteAddrsHeader, req.extFields);
    return attempt(req, UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED, () => file.setGlobalWhiteAddresses(commaList(globalWhiteAddrs) ?? []));
  });
  server.register(R.GET_BROKER_CLUSTER_ACL_INFO, (req) => {
    const version = JSON.stringify(file.version);
    return createResponse(req, ResponseCode.SUCCESS, undefined, {
      version, allAclFileVersion: JSON.stringify({ [file.path]: file.version }), ...broker,
    });
  });
  server.register(R.GET_BROKER_CLUSTER_ACL_CONFIG, (req) => {
    const { document } = file.rules;
    return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, jsonBody({
      globalWhiteAddrs: document.globalWhiteRemoteAddresses ?? [],
      plainAccessConfigs: document.accounts ?? [],
    }));
  });
}
