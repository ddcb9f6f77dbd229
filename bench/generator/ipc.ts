/**
 * The generator's side of the conversation with the harness (Node IPC): the harness sends one
 * job; the generator reports phase marks (the harness samples /proc at each) and the result.
 */

export type ToGenerator =
  | { readonly type: 'job'; readonly job: unknown }
  /** `repeat`: the harness found the phase that just ended disturbed and wants it again. */
  | { readonly type: 'continue'; readonly repeat?: boolean };

export type FromGenerator =
  | { readonly type: 'mark'; readonly name: string; readonly wait: boolean }
  | { readonly type: 'log'; readonly text: string }
  | { readonly type: 'result'; readonly result: unknown }
  | { readonly type: 'error'; readonly message: string };

let continueWaiter: ((repeat: boolean) => void) | undefined;

export function send(message: FromGenerator): void {
  process.send?.(message);
}

/** Tells the harness a phase was reached; it samples the processes right away. */
export function mark(name: string): void {
  send({ type: 'mark', name, wait: false });
}

/** Like mark, but waits until the harness has taken its samples; true asks for a repeat. */
export function markAndWait(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    continueWaiter = resolve;
    send({ type: 'mark', name, wait: true });
  });
}

export function log(text: string): void {
  send({ type: 'log', text });
}

export function onJob(run: (job: unknown) => Promise<unknown>): void {
  process.on('message', (message: ToGenerator) => {
    if (message.type === 'continue') {
      const waiter = continueWaiter;
      continueWaiter = undefined;
      waiter?.(message.repeat === true);
      return;
    }
    run(message.job).then(
      (result) => {
        send({ type: 'result', result });
        finish(0);
      },
      (error: unknown) => {
        send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        finish(1);
      },
    );
  });
  process.on('disconnect', () => process.exit(0));
}

function finish(code: number): void {
  // Let the IPC message flush, then leave without closing thousands of sockets one by one.
  setTimeout(() => process.exit(code), 50);
}
