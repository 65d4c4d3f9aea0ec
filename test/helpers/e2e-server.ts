// Starts the whole server in-process for the end-to-end tests, with every log line kept (for the
// prompt order and the PCI sweeps) and its files in a temporary directory.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/server/logger.js';
import { ToneguardServer } from '../../src/server/toneguard-server.js';
import { waitFor } from './call-sip-peers.js';

interface TestLike {
  teardown(fn: () => unknown): void;
}

export interface E2eServer {
  readonly server: ToneguardServer;
  readonly logs: string[];
  readonly dir: string;
  /** Head prompt ids in play order, from the debug log. */
  prompts(): string[];
  /**
   * Waits until the `n`th (0-based count of earlier waits) play of `prompt` has been logged; with
   * `call` (a call's id on the API, see callIdOf), the `n`th play on that call: calls running at once each wait
   * for their own prompts.
   */
  waitPrompt(prompt: string, timeoutMs?: number, call?: string): Promise<void>;
  /** The API's id of the call one of whose legs has the SIP Call-ID `sipCallId`, once it is listed. */
  callIdOf(sipCallId: string, timeoutMs?: number): Promise<string>;
  /** GET (or other) on the HTTP API; every body is kept for the PCI sweep. */
  fetchText(path: string, init?: RequestInit): Promise<{ status: number; text: string }>;
  readonly responses: string[];
}

export async function startE2eServer(t: TestLike, config: Record<string, unknown>): Promise<E2eServer> {
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-e2e-'));
  const logs: string[] = [];
  const responses: string[] = [];
  const sink = { write: (line: string) => void logs.push(line) };
  const full = { kpi: { sqlite: join(dir, 'kpi.sqlite') }, log: { level: 'debug' }, ...config };
  const server = await ToneguardServer.start(parseConfig(full), createLogger('debug', sink));
  let down = false;
  t.teardown(async () => {
    if (!down) await server.shutdown(0);
    down = true;
    rmSync(dir, { recursive: true, force: true });
  });
  const prompts = (call?: string) =>
    logs.flatMap((line) => {
      const o = JSON.parse(line) as { msg?: string; prompt?: string; call?: string };
      return o.msg === 'prompt' && typeof o.prompt === 'string' && (call === undefined || o.call === call) ? [o.prompt] : [];
    });
  const seen = new Map<string, number>();
  const fetchText = async (path: string, init?: RequestInit): Promise<{ status: number; text: string }> => {
    const res = await fetch(server.httpUrl + path, init);
    const text = await res.text();
    responses.push(text);
    return { status: res.status, text };
  };
  return {
    server,
    logs,
    dir,
    responses,
    prompts: () => prompts(),
    async waitPrompt(prompt, timeoutMs = 15_000, call) {
      const key = call === undefined ? prompt : `${call}\n${prompt}`;
      const already = seen.get(key) ?? 0;
      await waitFor(() => prompts(call).filter((p) => p === prompt).length > already, timeoutMs).catch(() => {
        throw new Error(`prompt ${prompt} not played${call === undefined ? '' : ` on call ${call}`} (played: ${prompts(call).join(', ')})`);
      });
      seen.set(key, already + 1);
    },
    async callIdOf(sipCallId, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // GET /calls/:id takes either leg's SIP Call-ID too.
        const res = await fetchText(`/calls/${encodeURIComponent(sipCallId)}`);
        if (res.status === 200) return (JSON.parse(res.text) as { id: string }).id;
        if (Date.now() > deadline) throw new Error(`no call with SIP Call-ID ${sipCallId} on /calls (${res.status})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    fetchText,
  };
}

/** Every file under `dir` (recursively) as bytes. */
export function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push({ path, bytes: readFileSync(path) });
  }
  return out;
}

/** The card data strings a sweep looks for: the number, its first 12 digits, expiry (MMYY, MM/YY) and CVV. */
export function cardNeedles(pan: string, expiryMmyy: string, cvv: string): string[] {
  return [pan, pan.slice(0, 12), expiryMmyy, `${expiryMmyy.slice(0, 2)}/${expiryMmyy.slice(2)}`, cvv];
}

/**
 * Which needles occur in `haystack` (also as UTF-16LE, for binary files). Needles shorter than
 * 8 characters (expiry, CVV) count only where no digit touches them: "947" inside a timestamp is
 * not a CVV, "947" as its own number is.
 */
export function needlesIn(haystack: string | Buffer, needles: readonly string[]): string[] {
  const buf = typeof haystack === 'string' ? Buffer.from(haystack) : haystack;
  const isDigit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39;
  const found = (needle: Buffer, step: number): boolean => {
    for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) {
      if (needle.length >= 8 * step) return true;
      if (!isDigit(buf[at - step]) && !isDigit(buf[at + needle.length])) return true;
    }
    return false;
  };
  return needles.filter((n) => found(Buffer.from(n), 1) || found(Buffer.from(n, 'utf16le'), 2));
}
