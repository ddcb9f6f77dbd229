/**
 * The load generator: one process, pinned by the harness to its own core, holding every client
 * of a run so that senders and receivers share one clock. It runs one job and exits.
 */
import { runChat, type ChatJob } from './chat.js';
import { runChurn, type ChurnJob } from './churn.js';
import { runFanout, type FanoutJob } from './fanout.js';
import { runIdle, type IdleJob } from './idle.js';
import { onJob } from './ipc.js';

export type GeneratorJob = FanoutJob | IdleJob | ChurnJob | ChatJob;

onJob(async (job) => {
  const typed = job as GeneratorJob;
  switch (typed.kind) {
    case 'fanout':
      return runFanout(typed);
    case 'idle':
      return runIdle(typed);
    case 'churn':
      return runChurn(typed);
    case 'chat':
      return runChat(typed);
  }
});
