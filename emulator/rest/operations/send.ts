import type { ConnectionFilter, DataType, OutboundMessage } from '../../hub/types.js';
import { outboundMessage, sendDataType } from '../message.js';
import { compileFilter } from '../odata/index.js';
import type { QueryReader } from '../query.js';
import { connectionIdParam, groupParam, userIdParam } from './params.js';
import { ACCEPTED, type Operation, type RestRequest } from './types.js';

/**
 * The four sends. Everything that can be refused is checked before the body is read (query,
 * filter, Content-Type); then the body becomes one message for the whole fan-out. Sends to a
 * connection, user or group that does not exist are accepted and go nowhere, as in the service
 * ("fire and forget").
 */

/** 0-300; accepted and validated, but delivery is immediate (expiry is not modelled). */
const MESSAGE_TTL_SECONDS = { min: 0, max: 300 } as const;

interface SendQuery {
  readonly excluded: readonly string[];
  readonly filter: ConnectionFilter | undefined;
}

function readSendQuery(query: QueryReader, accepts: { excluded: boolean; filter: boolean }): SendQuery {
  query.optionalInteger('messageTtlSeconds', MESSAGE_TTL_SECONDS);
  const filterText = accepts.filter ? query.optionalString('filter') : undefined;
  return {
    excluded: accepts.excluded ? query.list('excluded').filter((id) => id.length > 0) : [],
    filter: filterText === undefined ? undefined : compileFilter(filterText),
  };
}

async function readMessage(request: RestRequest, dataType: DataType, group?: string): Promise<OutboundMessage> {
  const metadata = request.readMetadata();
  return outboundMessage(dataType, await request.readBody(), metadata, group);
}

function sendOptions({ excluded, filter }: SendQuery): { excluded?: readonly string[]; filter?: ConnectionFilter } {
  return { ...(excluded.length > 0 ? { excluded } : {}), ...(filter === undefined ? {} : { filter }) };
}

export const sendToAll: Operation = async (request) => {
  const query = readSendQuery(request.query, { excluded: true, filter: true });
  const dataType = sendDataType(request.mediaType);
  request.hub.sendToAll(await readMessage(request, dataType), sendOptions(query));
  return ACCEPTED;
};

export const sendToUser: Operation = async (request) => {
  const userId = userIdParam(request.params);
  const query = readSendQuery(request.query, { excluded: false, filter: true });
  const dataType = sendDataType(request.mediaType);
  request.hub.sendToUser(userId, await readMessage(request, dataType), sendOptions(query));
  return ACCEPTED;
};

export const sendToConnection: Operation = async (request) => {
  const connectionId = connectionIdParam(request.params);
  readSendQuery(request.query, { excluded: false, filter: false });
  const dataType = sendDataType(request.mediaType);
  request.hub.sendToConnection(connectionId, await readMessage(request, dataType));
  return ACCEPTED;
};

export const sendToGroup: Operation = async (request) => {
  const group = groupParam(request.params);
  const query = readSendQuery(request.query, { excluded: true, filter: true });
  const dataType = sendDataType(request.mediaType);
  request.hub.sendToGroup(group, await readMessage(request, dataType, group), sendOptions(query));
  return ACCEPTED;
};
