/**
 * `npm run bench:chat`: M4 and the full chat path.
 *
 *   M4        a user event → emulator → CloudEvents POST to a bare node:http handler → reply to the
 *             sender, against a direct sendToGroup echo of the same size (100 to 10k events/s)
 *   chat path a `message` event → emulator → POST /eventhandler (the Functions app under the local
 *             runner, started as `npm start` starts it) → REST sendToAll → all 1,000 clients; the
 *             same through the bare handler; and a direct group send of the same message
 *
 * The emulator and the handler share the server core; the load generator has the other.
 * Settings: bench/lib/options.ts (BENCH_QUICK=1 for a smoke run).
 */
import { existsSync } from 'node:fs';
import { chatTable, echoCapacity, echoTable, planSessions, profileChat, runChatSessions, sessionNotes } from './metrics/chat.js';
import { GENERATOR_CPU, pinSelf } from './lib/children.js';
import { machine, machineSection, runHeader, writeSection } from './lib/doc.js';
import { relaxForSmokeRuns } from './lib/quiet.js';
import { parseOptions } from './lib/options.js';
import { EMULATOR_MAIN, RUNNER_MAIN } from './lib/paths.js';
import { machineLine } from './lib/proc.js';
import { kilo } from './lib/stats.js';

async function main(): Promise<void> {
  const started = performance.now();
  const options = parseOptions();
  pinSelf(GENERATOR_CPU);
  if (options.quick) relaxForSmokeRuns();
  for (const file of [EMULATOR_MAIN, RUNNER_MAIN]) {
    if (!existsSync(file)) throw new Error(`${file} does not exist: run \`npm run build\` first.`);
  }
  const info = machine();
  const sessions = planSessions(options);
  const seconds = options.chatRuns * sessions.reduce((sum, s) => sum + 30 + s.phases.reduce((t, p) => t + p.warmupS + p.measureS + 3, 0), 0);
  console.log(`bench:chat on ${machineLine(info)}`);
  console.log(
    `${options.chatClients} clients (json.reliable.webpubsub.azure.v1); echo ${options.echoRates.join(', ')} events/s; chat fan-out ${options.chatRates.join(', ')} msg/s; ` +
      `${options.chatWarmupS} s warm-up + ${options.chatMeasureS} s measured per phase; ${options.chatRuns} run(s). Estimated duration: about ${Math.ceil(seconds / 60)} min.\n`,
  );
  writeSection(options, 'machine', 'Machine', machineSection(info));
  if (options.metrics.has('m4') || options.metrics.has('chat')) {
    const outcomes = await runChatSessions(options);
    const echo = echoTable(outcomes, options);
    const chat = chatTable(outcomes, options);
    const notes = sessionNotes(outcomes);
    const capacity = echoCapacity(outcomes);
    console.log(`\nM4: webhook overhead (echo to the sender)\n\n${echo}\n\nHighest rate with p99 < 100 ms through the webhook: ${capacity}\n`);
    console.log(`Chat path: fan-out to ${options.chatClients} clients\n\n${chat}\n\n${notes}\n`);
    const quick = options.quick ? '\n\n**Quick smoke run (BENCH_QUICK=1): too short to quote.**' : '';
    const settings = `${options.chatClients} clients on json.reliable.webpubsub.azure.v1 (sequence acks once a second), messages sent round-robin by all of them on an open-loop schedule; ${options.chatWarmupS} s warm-up + ${options.chatMeasureS} s measured per phase, ${options.chatRuns} run(s) (median run by p99). The emulator and the handler are pinned to core 0, the generator to core 1.${quick}`;
    writeSection(
      options,
      'm4',
      'M4. Event-handler (webhook) overhead',
      `${runHeader(info, settings)}\n\nEach client sends a user event \`echo\` (text, 80 characters); the emulator POSTs it as a binary-mode CloudEvent to a bare node:http handler on a keep-alive connection, which answers with the same body; the emulator delivers that to the sender. Baseline: the same client sends the same text with \`sendToGroup\` to a group only it is in. "Added" is the difference of the two at the same rate in the same session. At low rates the CPU per event is mostly the idle cost of 1,000 reliable connections (keep-alive, sequence acks) spread over few events.\n\n${echo}\n\nHighest event rate through the webhook with p99 < 100 ms (of those tried): ${capacity}.`,
    );
    writeSection(
      options,
      'chat',
      'Chat path: message event → Functions app → REST broadcast → all clients',
      `${runHeader(info, settings)}\n\nA client sends a \`message\` event; the emulator POSTs it to \`/eventhandler\` of the app running under the local Functions runner (started as \`npm start\` starts it: same emulator settings, same environment), which validates it and calls \`sendToAll\` through \`@azure/web-pubsub\`; the emulator fans the chat message out to all clients. Compared with the same client sending a message of the same shape and size with \`sendToGroup\` to a group of everyone (no webhook), and with a bare node:http handler doing the REST broadcast itself. Rates whose fan-out exceeds ${kilo(200_000)} deliveries/s run alone in a fresh session with a shorter window.\n\n${chat}\n\n${notes}`,
    );
  }
  if (options.metrics.has('profile')) {
    console.log('Profile: the emulator under --cpu-prof, webhook events and reliable fan-out');
    const text = await profileChat(options, 5000, 50);
    console.log(`\n${text}\n`);
    writeSection(options, 'profile-chat', 'Where the emulator spends its CPU on the chat path', `${runHeader(info, 'The emulator under `node --cpu-prof` (the profiler costs CPU; not an M4 result).')}\n\n\`\`\`text\n${text}\n\`\`\``);
  }
  if (options.write) console.log('Results written to docs/benchmarks.md.');
  console.log(`bench:chat finished in ${((performance.now() - started) / 60_000).toFixed(1)} min.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
