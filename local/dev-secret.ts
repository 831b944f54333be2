/**
 * The local signing secrets. STRIPE_WEBHOOK_SECRET wins (comma-separated for several, e.g. the one
 * `stripe listen` prints); otherwise a dev secret is generated once, kept in .local/ (git-ignored,
 * readable only by you) and shared with `npm run trigger`.
 *
 * The file is a comma-separated list, oldest first, because `npm run stripe:endpoint -- --local
 * --rotate` keeps an old and a new secret side by side while it rolls an endpoint's secret.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseSecretList } from '../functions/shared/config';
import { signingSecretsOnly, type SigningSecretStore } from '../ops/signing-secret-store';

export const DEV_SECRET_FILE = join(__dirname, '..', '.local', 'dev-webhook-secret');

export interface LocalSecrets {
  readonly secrets: readonly string[];
  readonly generated: boolean;
}

/**
 * The secrets the local ingest accepts. From the file, the newest comes first: it is the one
 * `npm run trigger` signs with and the one `npm start` prints; the others stay accepted during a roll.
 */
export function localSecrets(env: Readonly<Record<string, string | undefined>>, file = DEV_SECRET_FILE): LocalSecrets {
  if (env.STRIPE_WEBHOOK_SECRET?.trim()) return { secrets: parseSecretList(env.STRIPE_WEBHOOK_SECRET), generated: false };
  const newest = devSecret(file);
  return { secrets: [newest, ...readDevSecrets(file).filter((secret) => secret !== newest).reverse()], generated: true };
}

/** The newest (last) dev secret, the one to sign with; one is created on first use. */
export function devSecret(file = DEV_SECRET_FILE): string {
  const newest = readDevSecrets(file).at(-1);
  if (newest) return newest;
  const secret = `whsec_dev_${randomBytes(24).toString('hex')}`;
  writeDevSecrets([secret], file);
  return secret;
}

/** The whsec_ secrets in the file, oldest first; none when it does not exist yet. */
export function readDevSecrets(file = DEV_SECRET_FILE): string[] {
  let contents: string;
  try {
    contents = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return signingSecretsOnly(parseSecretList(contents));
}

/**
 * The dev secret file as a SigningSecretStore, for `npm run stripe:endpoint -- --local`.
 *
 * @example
 * const store = localSecretStore(); // .local/dev-webhook-secret
 */
export function localSecretStore(file = DEV_SECRET_FILE): SigningSecretStore {
  return {
    name: `the file ${file}`,
    read: async () => readDevSecrets(file),
    write: async (secrets) => {
      if (secrets.length === 0) throw new Error(`Refusing to empty the file ${file}: the local ingest would accept no delivery`);
      writeDevSecrets(secrets, file);
    },
  };
}

function writeDevSecrets(secrets: readonly string[], file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${secrets.join(',')}\n`, { mode: 0o600 });
  // writeFileSync's mode applies only when it creates the file: an older, looser one is tightened too.
  chmodSync(file, 0o600);
}
