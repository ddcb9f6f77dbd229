// What the page uses from @azure/web-pubsub-client; `npm run build` bundles it for the browser
// into public/vendor/webpubsub-client.js so the page loads nothing from other origins.
export { WebPubSubClient, WebPubSubJsonProtocol, WebPubSubJsonReliableProtocol } from '@azure/web-pubsub-client';
