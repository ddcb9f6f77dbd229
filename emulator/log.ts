/** Where the emulator writes what happened. Collaborators receive one; they never reach for console. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

export function createConsoleLogger(level: LogLevel = 'info'): Logger {
  const enabled = (wanted: LogLevel): boolean => ORDER[wanted] >= ORDER[level];
  const stamp = (): string => new Date().toISOString();
  return {
    debug: (message) => { if (enabled('debug')) console.debug(`${stamp()} debug ${message}`); },
    info: (message) => { if (enabled('info')) console.info(`${stamp()} info  ${message}`); },
    warn: (message) => { if (enabled('warn')) console.warn(`${stamp()} warn  ${message}`); },
    error: (message) => { if (enabled('error')) console.error(`${stamp()} error ${message}`); },
  };
}

export const silentLogger: Logger = createConsoleLogger('silent');
