// The commands that run, test or measure a deployment (docs/cli.md): verify, bench, serve,
// gateway-sim and kpi. Declared here; each command's module (and the server, database or SIP
// stack behind it) is imported by its action, so `--help` or `detect` does not load them.
import { readFileSync } from 'node:fs';
import { Option, type Command, type OptionValues } from 'commander';
import { SIMULATOR_FAULTS, isSimulatorFault } from '../gateway/simulator-options.js';
import { DEFAULT_VERIFY_CODECS, type VerifyCodec } from '../verify/verify-error.js';
import { runBenchCommand } from './bench-command.js';
import { reportUsageErrors, type CliContext } from './cli-context.js';
import { DEFAULT_KPI_DB, DEFAULT_SIMULATOR_LISTEN, parseCodecs, parseListenOption, parseMs, textOption } from './cli-options.js';
import { packageVersion } from './package-version.js';

const VERIFY_CODEC_LIST = 'PCMU, PCMA, G722; default PCMU,PCMA';

export function addDeploymentCommands(program: Command, context: CliContext): void {
  const { writeOut, writeErr } = context;
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
        const text = (name: string): string | undefined => textOption(options, name);
        const tokenFile = text('tokenFile');
        const token = tokenFile !== undefined ? readFileSync(tokenFile, 'utf8').trim() : process.env.TONEGUARD_TOKEN;
        const codecs: unknown = options.codecs;
        const { runVerifyCommand } = await import('./verify-command.js');
        context.exitCode = await runVerifyCommand(
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
    .option('--only <names>', 'comma-separated benchmarks to run: detector, replay, scan, clamp, clamp-stage, speech, media-load')
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
        const text = (name: string): string | undefined => textOption(options, name);
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
}
