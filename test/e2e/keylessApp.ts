/**
 * Run as a child process by `keyless.test.ts`, with the app's keyless Azure settings in its
 * environment (WEBPUBSUB_ENDPOINT, AZURE_CLIENT_ID, a managed identity endpoint, and
 * NODE_EXTRA_CA_CERTS naming the emulator's development certificate). It drives the deployed
 * code path unchanged: the negotiate function, then a broadcast through the app's chat hub, both
 * through `getServices()` and so through `DefaultAzureCredential`. Prints one JSON line.
 */
import { WebSocket } from 'ws';
import { chatMessage } from '../../src/chat/payloads.js';
import { negotiateFunction } from '../../src/functions/negotiate.js';
import { getServices } from '../../src/services.js';
import { HttpRequest, createContext, responseJson } from '../helpers/functions.js';
import { Inbox } from '../helpers/waitFor.js';

const { context } = createContext('negotiate');
const response = await negotiateFunction.handler(new HttpRequest({ url: 'http://localhost:7071/negotiate?id=kim', method: 'GET' }), context);
const negotiated = await responseJson(response);

const frames = new Inbox<Record<string, unknown>>();
const ws = new WebSocket(negotiated.url as string, 'json.webpubsub.azure.v1');
ws.on('message', (data) => {
  frames.push(JSON.parse((data as Buffer).toString('utf8')) as Record<string, unknown>);
});
const connected = await frames.next((frame) => frame.event === 'connected', 'connected');
await getServices().chatHub.sendToAll(chatMessage('system', 'hello keyless', { id: 'm1', time: new Date(0).toISOString() }));
const broadcast = await frames.next((frame) => frame.type === 'message', 'the broadcast');
ws.close(1000);

process.stdout.write(`${JSON.stringify({ status: response.status, negotiated, connected, broadcast })}\n`);
