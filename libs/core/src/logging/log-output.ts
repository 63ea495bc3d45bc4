import pino from 'pino';

export type LogFormat = 'pretty' | 'json';

export interface LogOutputOptions {
  /** Where logs go when the caller says so (tests capture them): always JSON then. Default: stdout. */
  destination?: NodeJS.WritableStream;
  /** Test seam: whether stdout is a terminal (default `process.stdout.isTTY`). */
  isTTY?: boolean;
  /** Test seam: pino-pretty's entry file, `null` as if it were not installed (default: resolved). */
  prettyTarget?: string | null;
  /** Test seam: where pino-pretty writes (a file path; default stdout). */
  prettyDestination?: string;
}

/**
 * Human-readable lines only for a person at a terminal: development, stdout a TTY, no destination chosen by the
 * caller, and pino-pretty installed (a dev dependency: a production install has none, and then JSON it is, silently).
 * Everything else (production, tests, pipes, log collectors) gets one JSON object per line.
 */
export function chooseLogFormat(
  nodeEnv: string,
  opts: { destination?: unknown; isTTY?: boolean; prettyTarget?: string },
): LogFormat {
  return nodeEnv === 'development' && !opts.destination && opts.isTTY === true && !!opts.prettyTarget
    ? 'pretty'
    : 'json';
}

/** pino-pretty's entry file, or undefined when it cannot be loaded. */
export function resolvePrettyTarget(): string | undefined {
  try {
    return require.resolve('pino-pretty');
  } catch {
    return undefined;
  }
}

/** Fields every line carries that a person at a terminal does not need to read. */
const PRETTY_OPTIONS = { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' };

let sharedPretty: pino.DestinationStream | undefined;
let sharedJson: BatchedDestination | undefined;

/**
 * Lines written during one turn of the event loop leave in one synchronous write at its end (`setImmediate`), through
 * pino's SonicBoom (which handles EAGAIN and EPIPE): under load that is one `write` per batch instead of one per line
 * (the largest item in the profile of a GET), and a line is never held longer than the turn that logged it. SonicBoom's
 * own asynchronous mode was tried and cost more on this path: its string buffer is re-measured on every line and
 * converted on the main thread. Lines still pending at `exit` (a clean stop, or a crash that reaches it) are written
 * then; a SIGKILL loses at most the current turn's lines.
 */
export class BatchedDestination {
  private lines: string[] = [];
  private scheduled = false;

  constructor(private readonly out: { write(chunk: string): unknown } = pino.destination({ dest: 1, sync: true })) {
    process.on('exit', () => this.flush());
  }

  write(line: string): void {
    this.lines.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  flush(): void {
    if (!this.lines.length) return;
    const batch = this.lines.length === 1 ? this.lines[0] : this.lines.join('');
    this.lines = [];
    this.out.write(batch);
  }

  private readonly flushSoon = (): void => {
    this.scheduled = false;
    this.flush();
  };
}

/** JSON lines to stdout, batched per event-loop turn; one stream for every logger, so lines keep their order. */
export function jsonStdout(): pino.DestinationStream {
  return (sharedJson ??= new BatchedDestination());
}

/**
 * The stream a pino logger writes to: the caller's destination, asynchronous JSON to stdout, or pretty output. Pretty output runs pino-pretty
 * in a worker thread (a pino transport) that only reformats lines: redaction, serializers and `formatters.log` run in
 * this process before a line leaves it, exactly as with JSON. The boot logger and the Nest logger share one worker,
 * so their lines keep their order.
 */
export function logStream(nodeEnv: string, opts: LogOutputOptions = {}): pino.DestinationStream {
  if (opts.destination) return opts.destination as pino.DestinationStream;
  const prettyTarget = opts.prettyTarget === undefined ? resolvePrettyTarget() : (opts.prettyTarget ?? undefined);
  const isTTY = opts.isTTY ?? process.stdout.isTTY;
  if (chooseLogFormat(nodeEnv, { isTTY, prettyTarget }) === 'json') return jsonStdout();
  const transport = () =>
    pino.transport({
      target: prettyTarget!,
      options: { ...PRETTY_OPTIONS, destination: opts.prettyDestination ?? 1, colorize: !opts.prettyDestination },
    }) as pino.DestinationStream;
  if (opts.prettyDestination) return transport();
  return (sharedPretty ??= transport());
}
