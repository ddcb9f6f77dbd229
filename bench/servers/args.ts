/** Flags shared by the peer servers: `--port N` (0 = any free port), `--host H`. */
export interface ServerArgs {
  readonly host: string;
  readonly port: number;
  readonly flags: ReadonlySet<string>;
}

export function parseServerArgs(argv: readonly string[]): ServerArgs {
  let host = '127.0.0.1';
  let port = 0;
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--port') port = Number(argv[++i]);
    else if (arg === '--host') host = argv[++i] ?? host;
    else if (arg.startsWith('--')) flags.add(arg.slice(2));
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${port}`);
  return { host, port, flags };
}

/** Exits quietly on SIGTERM/SIGINT so the harness can stop the server. */
export function exitOnSignals(close: () => void): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      close();
      process.exit(0);
    });
  }
}
