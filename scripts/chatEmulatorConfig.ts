/**
 * The emulator settings this app needs: its hub sends connect/connected/disconnected and every
 * user event to the app's event handler, and anonymous clients may connect (the tutorial's
 * direct-connect page; the connect event then names them). `npm start` writes this for the
 * ports it uses; `webpubsub.local.json` is the same for the default ports (for `func start`).
 */

/** The official emulator's key: connection strings work with either emulator. */
export const LOCAL_ACCESS_KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
export const DEFAULT_APP_PORT = 7071;
export const DEFAULT_EMULATOR_PORT = 8080;
export const LOCAL_HUB = 'Sample_ChatApp';

export interface ChatEmulatorOptions {
  readonly appPort: number;
  readonly emulatorPort: number;
  readonly hub?: string;
  readonly accessKey?: string;
}

export function chatEmulatorConfig(options: ChatEmulatorOptions): Record<string, unknown> {
  return {
    port: options.emulatorPort,
    host: 'localhost',
    accessKeys: [options.accessKey ?? LOCAL_ACCESS_KEY],
    hubs: {
      [options.hub ?? LOCAL_HUB]: {
        eventHandlers: [
          {
            urlTemplate: `http://localhost:${options.appPort}/eventhandler`,
            userEventPattern: '*',
            systemEvents: ['connect', 'connected', 'disconnected'],
          },
        ],
        anonymousConnectPolicy: 'allow',
      },
    },
  };
}

/** The app's connection string for an emulator on `port`. */
export function localConnectionString(port: number, accessKey: string = LOCAL_ACCESS_KEY): string {
  return `Endpoint=http://localhost:${port};AccessKey=${accessKey};Version=1.0;`;
}
