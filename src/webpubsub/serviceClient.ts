import { DefaultAzureCredential } from '@azure/identity';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import type { WebPubSubAccess } from '../config.js';

/**
 * Builds the REST client for one hub. Locally the connection string signs tokens and requests;
 * the SDK refuses plain http unless told, so that is allowed for http:// endpoints only (the
 * emulator). In Azure the app is keyless: Entra ID tokens of the managed identity.
 */
export function createServiceClient(access: WebPubSubAccess, hub: string): WebPubSubServiceClient {
  if (access.kind === 'connectionString') {
    return new WebPubSubServiceClient(access.connectionString, hub, {
      allowInsecureConnection: access.endpoint.startsWith('http:'),
    });
  }
  const credential = new DefaultAzureCredential(
    access.managedIdentityClientId === undefined ? {} : { managedIdentityClientId: access.managedIdentityClientId },
  );
  return new WebPubSubServiceClient(access.endpoint, credential, hub);
}
