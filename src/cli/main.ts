#!/usr/bin/env node
// The `toneguard` command line (docs/cli.md). Wiring only: options are
// parsed here, each command's logic lives in its own module. Exit codes: 0 success, 1 runtime
// failure, 2 bad usage or unreadable/invalid input (message on stderr naming the file).
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option, type OptionValues } from 'commander';
// Only light modules are imported here (option parsers, error classes, lists of choices): each
// command's module is loaded by its action, so a command pays at start for its own dependencies
// only (fastify, SQLite, PostgreSQL, the SIP stack ... cost up to a second of CPU to load, which
// `detect` or `--help` need not pay).
import { CaptureError } from '../capture/capture-error.js';
import { ConfigError } from '../config/config-error.js';
import { GatewayConfigError } from '../gateway/gateway-error.js';
import { isSimulatorFault, parseListen, SIMULATOR_FAULTS } from '../gateway/simulator-options.js';
import { KpiError } from '../kpi/kpi-error.js';
import { AudioFileError } from '../audio-file/audio-file-error.js';
import { RAW_FORMATS } from '../audio-file/audio-format.js';
import { CLAMP_MODES, isClampMode } from '../media/clamp/inband-clamp-options.js';
import { DEFAULT_VERIFY_CODECS, VerifyError, type VerifyCodec } from '../verify/verify-error.js';
import { BenchUsageError, runBenchCommand } from './bench-command.js';
import { DEFAULT_KPI_DB, DEFAULT_SIMULATOR_LISTEN, defaultJobs, parseCodecs, parseEventPt, parseJobs, parseMinDigits } from './cli-options.js';
import { isRawFormat, rawOptions, runDetectCommand } from './detect-command.js';
import { messageOf } from '../errors.js';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const PROGRAM = 'toneguard';
const VERIFY_CODEC_LIST = 'PCMU, PCMA, G722; default PCMU,PCMA';
/** Set by a command whose exit code carries a result (scan: 0 clean, 1 findings, 2 errors). */
let commandExitCode: number | undefined;

function writeOut(text: string): void {
  process.stdout.write(text);
}

function writeErr(text: string): void {
  process.stderr.write(text);
}

/** Positive integer, Hz. */
function parseRate(value: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > 0xffffffff) {
    throw new InvalidArgumentError('Expected a sample rate in Hz, a positive integer such as 8000.');
  }
  return Number(value);
}

/** HOST:PORT, checked now so that a typo is a usage error (exit 2). */
function parseListenOption(value: string): string {
  try {
    parseListen(value);
  } catch (error) {
    if (error instanceof GatewayConfigError) throw new InvalidArgumentError(`Expected HOST:PORT such as ${DEFAULT_SIMULATOR_LISTEN}.`);
    throw error;
  }
  return value;
}

/** Milliseconds, a non-negative integer up to 10 minutes. */
function parseMs(value: string): number {
  if (!/^[0-9]{1,6}$/.test(value) || Number(value) > 600_000) throw new InvalidArgumentError('Expected milliseconds, an integer from 0 to 600000.');
  return Number(value);
}

/** Usage errors found by a command's own validation are reported exactly like commander's. */
function reportUsageErrors<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      const command = args[args.length - 1];
      if (error instanceof InvalidArgumentError && command instanceof Command) {
        command.error(`error: ${error.message}`, { exitCode: EXIT_USAGE, code: 'toneguard.usage' });
      }
      throw error;
    }
  };
}

/** The version in package.json (three levels up from dist/src/cli/), when it is there. */
function packageVersion(): string | undefined {
  try {
    const json: unknown = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    if (typeof json === 'object' && json !== null && 'name' in json && json.name === PROGRAM && 'version' in json && typeof json.version === 'string') {
      return json.version;
    }
  } catch {
    // running from an unusual layout: no --version
  }
  return undefined;
}

function buildProgram(): Command {
  const program = new Command(PROGRAM);
  program
    .description('SIP/RTP media engine for card payments over the phone, with DTMF detection and clamping (PCI DSS)')
    .exitOverride()
    .configureOutput({
      writeOut,
      writeErr,
      outputError: (text, write) => write(`${PROGRAM}: ${text}`),
    })
    .showHelpAfterError(`(run '${PROGRAM} help' for usage)`);
  const version = packageVersion();
  if (version !== undefined) program.version(version);

  program
    .command('detect')
    .allowExcessArguments(false)
    .description('print the DTMF digits in an audio file (one line of digits, or one JSON object per digit)')
    .argument('<file>', 'WAV (16-bit PCM at any rate, G.711 mu-law or A-law) or raw audio with --format')
    .option('--json', 'one JSON object per digit per line')
    .addOption(new Option('--format <format>', 'FILE is headerless raw audio, mono').choices(RAW_FORMATS))
    .option('--rate <hz>', 'sample rate of raw audio in Hz (required for s16le; default 8000 for ulaw and alaw)', parseRate)
    .action(
      reportUsageErrors(async (file: string, options: OptionValues) => {
        const format: unknown = options.format;
        const rate: unknown = options.rate;
        await runDetectCommand(
          file,
          {
            json: options.json === true,
            format: typeof format === 'string' && isRawFormat(format) ? format : undefined,
            rate: typeof rate === 'number' ? rate : undefined,
          },
          writeOut,
        );
      }),
    );

  program
    .command('clamp')
    .allowExcessArguments(false)
    .description('write IN with every DTMF tone replaced to OUT (same format, length and timing); print the digits removed as detect does')
    .argument('<in>', 'WAV (16-bit PCM at any rate, G.711 mu-law or A-law) or raw audio with --format')
    .argument('<out>', 'output file, written in the format of IN')
    .addOption(new Option('--mode <mode>', 'what replaces the tones').choices(CLAMP_MODES).default('silence'))
    .option('--json', 'the digits removed as one JSON object per digit per line')
    .addOption(new Option('--format <format>', 'IN is headerless raw audio, mono (OUT is written the same way)').choices(RAW_FORMATS))
    .option('--rate <hz>', 'sample rate of raw audio in Hz (required for s16le; default 8000 for ulaw and alaw)', parseRate)
    .action(
      reportUsageErrors(async (input: string, output: string, options: OptionValues) => {
        const format: unknown = options.format;
        const rate: unknown = options.rate;
        const mode: unknown = options.mode;
        const { runClampCommand } = await import('./clamp-command.js');
        await runClampCommand(
          input,
          output,
          {
            json: options.json === true,
            format: typeof format === 'string' && isRawFormat(format) ? format : undefined,
            rate: typeof rate === 'number' ? rate : undefined,
            mode: typeof mode === 'string' && isClampMode(mode) ? mode : 'silence',
          },
          writeOut,
        );
      }),
    );

  program
    .command('replay')
    .allowExcessArguments(false)
    .description('print the RTP streams of a pcap/pcapng capture with their DTMF digits (RFC 4733, in-band, SIP INFO)')
    .argument('<capture>', 'pcap or pcapng capture')
    .option('--json', 'one JSON object per digit per line')
    .option('--write-audio <dir>', 'write each decoded stream to DIR as 16-bit WAV')
    .option('--event-pt <pt>', 'telephone-event payload type for streams no SDP in the capture describes (default 101)', parseEventPt)
    .action(
      reportUsageErrors(async (capture: string, options: OptionValues) => {
        const writeAudio: unknown = options.writeAudio;
        const eventPt: unknown = options.eventPt;
        const { runReplayCommand } = await import('./replay-command.js');
        await runReplayCommand(
          capture,
          {
            json: options.json === true,
            writeAudio: typeof writeAudio === 'string' ? writeAudio : undefined,
            eventPt: typeof eventPt === 'number' ? eventPt : undefined,
          },
          writeOut,
        );
      }),
    );

  program
    .command('scan')
    .description(
      'search recordings (WAV, raw G.711 with --format, pcap/pcapng; directories recursively) for DTMF that could be card data; prints at most the last four digits; exit 0 clean, 1 findings, 2 unreadable files',
    )
    .argument('<paths...>', 'files or directories')
    .option('--json', 'one JSON document: findings, errors, summary')
    .option('--csv', 'CSV with a header row, one row per finding or unreadable file')
    .option('--jobs <n>', 'files scanned in parallel (default: one per core)', parseJobs)
    .option('--min-digits <n>', 'also report runs of at least N digits that are not card numbers (expiry-like, code-like)', parseMinDigits)
    .addOption(new Option('--format <format>', 'read files that are not WAV or pcap as headerless raw audio, mono').choices(RAW_FORMATS))
    .option('--rate <hz>', 'sample rate of raw audio in Hz (required for s16le; default 8000 for ulaw and alaw)', parseRate)
    .option('--no-progress', 'no progress on stderr')
    .action(
      reportUsageErrors(async (paths: string[], options: OptionValues) => {
        if (options.json === true && options.csv === true) throw new InvalidArgumentError('--json and --csv cannot be used together');
        const format: unknown = options.format;
        const rate: unknown = options.rate;
        const raw = rawOptions({ json: false, format: typeof format === 'string' && isRawFormat(format) ? format : undefined, rate: typeof rate === 'number' ? rate : undefined });
        const jobs: unknown = options.jobs;
        const minDigits: unknown = options.minDigits;
        const { runScanCommand } = await import('./scan-command.js');
        commandExitCode = await runScanCommand(
          paths,
          {
            output: options.json === true ? 'json' : options.csv === true ? 'csv' : 'text',
            jobs: typeof jobs === 'number' ? jobs : defaultJobs(),
            minDigits: typeof minDigits === 'number' ? minDigits : 0,
            raw,
            progress: options.progress === false ? 'none' : process.stderr.isTTY ? 'bar' : 'lines',
          },
          writeOut,
          writeErr,
        );
      }),
    );

  program
    .command('verify')
    .allowExcessArguments(false)
    .description(
      'live DTMF leak test of a deployment: places test calls to --target, answers them as the agent, keys every digit in-band, as RFC 4733 and as SIP INFO, and writes a signed report (exit 0 pass, 1 leak, 3 inconclusive); or --check a report',
    )
    .option('--target <uri>', 'SIP URI the test calls go to (the deployment: toneguard, or the PBX in front of it)')
    .option('--agent-listen <addr>', 'HOST:PORT where the deployment routes the test calls to the agent', '127.0.0.1:5099')
    .option('--codecs <list>', `comma-separated codecs to test (${VERIFY_CODEC_LIST})`, parseCodecs)
    .option('--report <dir>', 'directory for report.json and report.html', 'verify-report')
    .addOption(
      new Option('--secure-mode <mode>', 'api: switch secure mode per call over --api (and run a control call with it off); always: the deployment clamps every call')
        .choices(['api', 'always'])
        .default('api'),
    )
    .option('--api <url>', "the deployment's HTTP API, e.g. http://127.0.0.1:8080")
    .option('--token-file <file>', 'file holding the HTTP API token (or set TONEGUARD_TOKEN)')
    .option('--local-address <ip>', 'address the test caller binds', '127.0.0.1')
    .option('--key <file>', 'Ed25519 private key (PKCS#8 PEM) to sign the report with (default: a new key saved in the report directory)')
    .option('--check <report>', 'check the signature of a report.json instead of running a test')
    .option('--public-key <file>', 'with --check: the public key (PEM) the report must be signed with')
    .action(
      reportUsageErrors(async (options: OptionValues) => {
        const text = (name: string): string | undefined => (typeof options[name] === 'string' ? (options[name] as string) : undefined);
        const tokenFile = text('tokenFile');
        const token = tokenFile !== undefined ? readFileSync(tokenFile, 'utf8').trim() : process.env.TONEGUARD_TOKEN;
        const codecs: unknown = options.codecs;
        const { runVerifyCommand } = await import('./verify-command.js');
        commandExitCode = await runVerifyCommand(
          {
            target: text('target'),
            agentListen: text('agentListen') ?? '127.0.0.1:5099',
            codecs: Array.isArray(codecs) ? (codecs as VerifyCodec[]) : DEFAULT_VERIFY_CODECS,
            report: text('report') ?? 'verify-report',
            secureMode: text('secureMode') === 'always' ? 'always' : 'api',
            api: text('api'),
            token,
            localAddress: text('localAddress') ?? '127.0.0.1',
            key: text('key'),
            check: text('check'),
            publicKey: text('publicKey'),
            version: packageVersion() ?? 'unknown',
          },
          writeOut,
          writeErr,
        );
      }),
    );

  program
    .command('bench')
    .allowExcessArguments(false)
    .description('run every benchmark, each reported as a ratio against its baseline')
    .option('--json', 'machine-readable output')
    .option('--only <names>', 'comma-separated benchmarks to run: detector, replay, scan, clamp, clamp-stage, media-load')
    .option('--ports <range>', 'RTP ports FIRST-LAST for the media-load relay under test (default 32000-39999)')
    .action(async (options: OptionValues) => {
      const only: unknown = options.only;
      const ports: unknown = options.ports;
      await runBenchCommand({
        json: options.json === true,
        ...(typeof only === 'string'
          ? {
              only: only
                .split(',')
                .map((n) => n.trim())
                .filter((n) => n !== ''),
            }
          : {}),
        ...(typeof ports === 'string' ? { ports } : {}),
      });
    });

  program
    .command('serve')
    .allowExcessArguments(false)
    .description('run the server: SIP B2BUA and payment endpoint, RTP relay with clamping, HTTP API, widget, dashboard and /metrics')
    .option('--config <file>', 'YAML configuration, every key in examples/config.yaml (default: embedded defaults, SIP and HTTP on loopback, built-in gateway simulator, SQLite KPIs in ./data/)')
    .option('--allow-readable-secrets', 'accept secrets in a config or secret file that group or others can read')
    .action(async (options: OptionValues) => {
      const config: unknown = options.config;
      const { runServeCommand } = await import('./serve-command.js');
      await runServeCommand({ config: typeof config === 'string' ? config : undefined, allowReadableSecrets: options.allowReadableSecrets === true }, writeErr);
    });

  program
    .command('gateway-sim')
    .allowExcessArguments(false)
    .description('run the HTTPS payment gateway simulator (Authorize.Net XML and the generic template) until interrupted')
    .option('--listen <addr>', 'HOST:PORT to listen on (port 0: any free port)', parseListenOption, DEFAULT_SIMULATOR_LISTEN)
    .addOption(new Option('--fault <kind>', 'play this fault on every request').choices(SIMULATOR_FAULTS))
    .option('--slow-ms <ms>', 'delay of the slow fault in ms (default 3000)', parseMs)
    .option('--ca-out <file>', 'write the CA certificate to trust here (default: a temporary file, removed at exit)')
    .action(
      reportUsageErrors(async (options: OptionValues) => {
        const listen: unknown = options.listen;
        const fault: unknown = options.fault;
        const slowMs: unknown = options.slowMs;
        const caOut: unknown = options.caOut;
        const { runGatewaySimCommand } = await import('./gateway-sim-command.js');
        await runGatewaySimCommand(
          {
            listen: typeof listen === 'string' ? listen : DEFAULT_SIMULATOR_LISTEN,
            fault: typeof fault === 'string' && isSimulatorFault(fault) ? fault : null,
            slowMs: typeof slowMs === 'number' ? slowMs : undefined,
            caOut: typeof caOut === 'string' ? caOut : undefined,
          },
          writeOut,
        );
      }),
    );

  program
    .command('kpi')
    .allowExcessArguments(false)
    .description('payment KPIs from the history (entered, successful, unsuccessful, attempted, hang-ups, durations, funnel)')
    .option('--db <file>', `SQLite KPI database (default ${DEFAULT_KPI_DB})`)
    .option('--postgres <url>', 'PostgreSQL KPI database instead, postgres://user:pass@host:port/db')
    .option('--from <iso>', 'sessions entered at or after this time (ISO 8601; a date alone is UTC midnight)')
    .option('--to <iso>', 'sessions entered before this time')
    .option('--by <group>', 'one result per group: day, hour, merchant, outcome, mode or card-type')
    .option('--json', 'one JSON object (with --by: one per group per line)')
    .option('--csv', 'CSV with a header row')
    .option('--field-errors', 'errors per field being collected (for -> errorType -> count) instead')
    .option('--field-inputs', 'how callers gave each field (for, input dtmf/speech/"dtmf speech", count) instead')
    .action(
      reportUsageErrors(async (options: OptionValues) => {
        const text = (name: string): string | undefined => (typeof options[name] === 'string' ? (options[name] as string) : undefined);
        const { runKpiCommand } = await import('./kpi-command.js');
        await runKpiCommand(
          {
            db: text('db'),
            postgres: text('postgres'),
            from: text('from'),
            to: text('to'),
            by: text('by'),
            json: options.json === true,
            csv: options.csv === true,
            fieldErrors: options.fieldErrors === true,
            fieldInputs: options.fieldInputs === true,
          },
          writeOut,
        );
      }),
    );

  return program;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return commandExitCode ?? EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Already printed by commander (help, version, usage errors).
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (
      error instanceof BenchUsageError ||
      error instanceof AudioFileError ||
      error instanceof CaptureError ||
      error instanceof ConfigError ||
      error instanceof GatewayConfigError ||
      (error instanceof VerifyError && error.code === 'EUSAGE') ||
      (error instanceof KpiError && error.isInputError)
    ) {
      writeErr(`${PROGRAM}: error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    const message = messageOf(error);
    writeErr(`${PROGRAM}: failed: ${message}\n`);
    if (process.env.TONEGUARD_DEBUG === '1' && error instanceof Error && error.stack !== undefined) writeErr(`${error.stack}\n`);
    return EXIT_FAILURE;
  }
}

// A closed pipe (`toneguard detect x.wav | head -c1`) is not a failure of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
  throw error;
});

process.exitCode = await main(process.argv);
