// The commands that read recordings (docs/cli.md): detect, clamp, replay and scan. Declared here,
// run by their own modules; detect's is light and loaded at start, the others are imported by
// their action so that declaring them costs nothing.
import { InvalidArgumentError, Option, type Command, type OptionValues } from 'commander';
import { RAW_FORMATS } from '../audio-file/audio-format.js';
import { CLAMP_MODES, isClampMode } from '../media/clamp/inband-clamp-options.js';
import { reportUsageErrors, type CliContext } from './cli-context.js';
import { defaultJobs, parseEventPt, parseJobs, parseMinDigits, parseRate } from './cli-options.js';
import { isRawFormat, rawOptions, runDetectCommand } from './detect-command.js';

export function addRecordingCommands(program: Command, context: CliContext): void {
  const { writeOut, writeErr } = context;
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
        context.exitCode = await runScanCommand(
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
}
