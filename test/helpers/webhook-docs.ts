// The receiver's signature check exactly as docs/webhooks.md prints it (its first ```js block),
// loaded as a module, so that the tests prove the documented code verifies real callbacks.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export type DocsVerifier = (secret: string, signatureHeader: string | undefined, rawBody: Buffer | string, nowSeconds?: number) => boolean;

export async function loadDocsVerifier(): Promise<{ verify: DocsVerifier; toleranceSeconds: number; source: string }> {
  const doc = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
  const block = /```js\n([\s\S]*?)```/.exec(doc);
  if (!block) throw new Error('docs/webhooks.md has no ```js block');
  const dir = mkdtempSync(join(tmpdir(), 'tg-webhook-docs-'));
  try {
    const file = join(dir, 'verify.mjs');
    writeFileSync(file, block[1]);
    const mod = (await import(pathToFileURL(file).href)) as { verifyToneguardWebhook: DocsVerifier; TOLERANCE_SECONDS: number };
    return { verify: mod.verifyToneguardWebhook, toleranceSeconds: mod.TOLERANCE_SECONDS, source: block[1] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
