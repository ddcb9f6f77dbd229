import { app } from '@azure/functions';
import { functions, prepareFunctions } from './functions/index.js';

prepareFunctions();

for (const descriptor of functions) {
  app.http(descriptor.name, {
    route: descriptor.route,
    methods: [...descriptor.methods],
    authLevel: descriptor.authLevel,
    handler: descriptor.handler,
  });
}
