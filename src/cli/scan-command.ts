// `toneguard scan PATH… [--json|--csv] [--jobs N] [--min-digits N] [--format F --rate N]`
// (docs/cli.md, docs/assessors.md): recordings searched for DTMF that could be card data.
// Output never holds more than a card's last four digits. Exit 0: nothing found; 1: findings;
// 2: some file could not be read (what could be read is still reported) or bad usage.
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { RawAudioOptions } from '../audio-file/audio-format.js';
import { DEFAULT_FIND_OPTIONS, type Finding } from '../scan/card-findings.js';
import type { FileReport } from '../scan/scan-file.js';
import { scanFiles, type PoolProgress } from '../scan/scan-pool.js';

export const SCAN_EXIT_CLEAN = 0;
export const SCAN_EXIT_FINDINGS = 1;
export const SCAN_EXIT_ERRORS = 2;

export interface ScanCommandOptions {
  readonly output: 'text' | 'json' | 'csv';
  readonly jobs: number;
  readonly minDigits: number;
  readonly raw?: RawAudioOptions;
  /** Progress on stderr: a redrawn bar on a terminal, a line per file otherwise, or none. */
  readonly progress: 'bar' | 'lines' | 'none';
}

/** Extensions picked up inside directories (a file named on the command line is always scanned). */
const RECORDING_EXTENSIONS = new Set(['.wav', '.pcap', '.pcapng', '.cap']);
const RAW_EXTENSIONS = new Set(['.raw', '.ul', '.ulaw', '.al', '.alaw', '.sln', '.pcm', '.g711']);

/**
 * Files under the given paths, in path order: directories recursively; symbolic links inside
 * directories are not followed (no loops, nothing outside the tree); unreadable paths are
 * returned as problems.
 */
export async function collectFiles(paths: readonly string[], raw: boolean): Promise<{ files: string[]; problems: FileReport[] }> {
  const files: string[] = [];
  const problems: FileReport[] = [];
  const problem = (file: string, code: string, message: string): void => {
    problems.push({ file, kind: 'raw', bytes: 0, durationMs: 0, streams: [], error: { code, message } });
  };
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      problem(dir, 'EREAD', `${dir}: cannot read directory: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const ext = extname(entry.name).toLowerCase();
        if (RECORDING_EXTENSIONS.has(ext) || (raw && RAW_EXTENSIONS.has(ext))) files.push(path);
      }
    }
  };
  for (const path of paths) {
    try {
      // A path named on the command line is followed if it is a link (a distribution's sound
      // directory often is one); links found inside directories are not.
      const info = await stat(path);
      if (info.isDirectory()) await walk(path);
      else files.push(path);
    } catch (error) {
      problem(path, 'EREAD', `${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : String(error)}`);
    }
  }
  return { files, problems };
}

function clock(ms: number): string {
  const total = Math.max(0, ms) / 1000;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${s.toFixed(1).padStart(4, '0')}`;
}

function describe(f: Finding): string {
  if (f.kind === 'card-number') return `card-number ${f.cardType ?? '?'} ****${f.last4 ?? ''} (${f.digitCount} digits)`;
  return `${f.kind} (${f.digitCount} digits)`;
}

interface Row {
  readonly file: string;
  readonly stream: string;
  readonly finding: Finding;
}

function rows(reports: readonly FileReport[]): Row[] {
  return reports.flatMap((r) => r.streams.flatMap((s) => s.findings.map((finding) => ({ file: r.file, stream: s.stream, finding }))));
}

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export interface ScanSummary {
  readonly files: number;
  readonly filesWithFindings: number;
  readonly findings: number;
  readonly cardNumbers: number;
  readonly errors: number;
  readonly audioMs: number;
  readonly elapsedMs: number;
}

export function summarize(reports: readonly FileReport[], elapsedMs: number): ScanSummary {
  const found = rows(reports);
  return {
    files: reports.length,
    filesWithFindings: reports.filter((r) => r.streams.some((s) => s.findings.length > 0)).length,
    findings: found.length,
    cardNumbers: found.filter((r) => r.finding.kind === 'card-number').length,
    errors: reports.filter((r) => r.error !== null).length,
    audioMs: reports.reduce((sum, r) => sum + r.durationMs, 0),
    elapsedMs,
  };
}

export function formatScanOutput(reports: readonly FileReport[], summary: ScanSummary, output: ScanCommandOptions['output']): string {
  const found = rows(reports);
  const errors = reports.filter((r) => r.error !== null);
  if (output === 'json') {
    return `${JSON.stringify({
      findings: found.map((r) => ({ file: r.file, stream: r.stream, ...r.finding, startMs: Math.round(r.finding.startMs), endMs: Math.round(r.finding.endMs) })),
      errors: errors.map((r) => ({ file: r.file, code: r.error?.code, message: r.error?.message })),
      summary,
    })}\n`;
  }
  if (output === 'csv') {
    const lines = ['file,stream,kind,start_ms,end_ms,digits,card_type,last4,confidence,signals,error'];
    for (const r of found) {
      const f = r.finding;
      lines.push([r.file, r.stream, f.kind, Math.round(f.startMs), Math.round(f.endMs), f.digitCount, f.cardType, f.last4, f.confidence, f.signals.join(' '), null].map(csvField).join(','));
    }
    for (const r of errors) lines.push([r.file, null, 'error', null, null, null, null, null, null, null, r.error?.message ?? null].map(csvField).join(','));
    return `${lines.join('\n')}\n`;
  }
  const lines = found.map(
    (r) => `${r.file}  ${r.stream}  ${clock(r.finding.startMs)}-${clock(r.finding.endMs)}  ${describe(r.finding)}  confidence ${r.finding.confidence.toFixed(2)}  [${r.finding.signals.join(',')}]`,
  );
  for (const r of errors) lines.push(`${r.file}  error: ${r.error?.message ?? ''}`);
  const speed = summary.elapsedMs > 0 ? ` (${Math.round(summary.audioMs / summary.elapsedMs)}x real time)` : '';
  lines.push(
    `${summary.files} file(s), ${summary.findings} finding(s) in ${summary.filesWithFindings} file(s) (${summary.cardNumbers} card number(s)), ${summary.errors} unreadable; ` +
      `${(summary.audioMs / 60_000).toFixed(1)} min of audio in ${(summary.elapsedMs / 1000).toFixed(1)} s${speed}`,
  );
  return `${lines.join('\n')}\n`;
}

function progressWriter(mode: ScanCommandOptions['progress'], writeErr: (text: string) => void): (p: PoolProgress) => void {
  if (mode === 'none') return () => {};
  if (mode === 'lines') return (p) => writeErr(`scan: ${p.done}/${p.total} ${p.report.file}${p.report.error === null ? '' : ' (unreadable)'}\n`);
  const width = 30;
  return (p) => {
    const filled = Math.round((p.done / Math.max(1, p.total)) * width);
    writeErr(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.done}/${p.total} files${p.done === p.total ? '\n' : ''}`);
  };
}

/** Runs the scan; returns the exit code. */
export async function runScanCommand(paths: readonly string[], options: ScanCommandOptions, writeOut: (text: string) => void, writeErr: (text: string) => void): Promise<number> {
  const started = performance.now();
  const { files, problems } = await collectFiles(paths, options.raw !== undefined);
  const scanned = await scanFiles(files, { ...DEFAULT_FIND_OPTIONS, minDigits: options.minDigits, raw: options.raw }, options.jobs, progressWriter(options.progress, writeErr));
  const reports = [...problems, ...scanned];
  const summary = summarize(reports, performance.now() - started);
  writeOut(formatScanOutput(reports, summary, options.output));
  if (summary.errors > 0) return SCAN_EXIT_ERRORS;
  return summary.findings > 0 ? SCAN_EXIT_FINDINGS : SCAN_EXIT_CLEAN;
}
