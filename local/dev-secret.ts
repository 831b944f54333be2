/**
 * The local signing secret. STRIPE_WEBHOOK_SECRET wins (comma-separated for several, e.g. the one
 * `stripe listen` prints); otherwise a dev secret is generated once, kept in .local/ (git-ignored,
 * readable only by you) and shared with `npm run trigger`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseSecretList } from '../functions/shared/config';

export const DEV_SECRET_FILE = join(__dirname, '..', '.local', 'dev-webhook-secret');

export interface LocalSecrets {
  readonly secrets: readonly string[];
  readonly generated: boolean;
}

export function localSecrets(env: Readonly<Record<string, string | undefined>>, file = DEV_SECRET_FILE): LocalSecrets {
  if (env.STRIPE_WEBHOOK_SECRET?.trim()) return { secrets: parseSecretList(env.STRIPE_WEBHOOK_SECRET), generated: false };
  return { secrets: [devSecret(file)], generated: true };
}

/** The dev secret, created on first use. */
export function devSecret(file = DEV_SECRET_FILE): string {
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.startsWith('whsec_')) return existing;
  } catch {
    // Not created yet.
  }
  const secret = `whsec_dev_${randomBytes(24).toString('hex')}`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
