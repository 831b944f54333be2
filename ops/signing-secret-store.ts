/**
 * Where a stage keeps the webhook signing secrets its ingest accepts: a port with one adapter per
 * place (Secrets Manager here, the local dev file in local/dev-secret.ts), so the endpoint tool's
 * rules never touch storage themselves.
 */
import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseSecretString } from '../functions/ingest/secrets';

/** The signing secrets of one stage, read and replaced as a whole. */
export interface SigningSecretStore {
  /** Where the secrets are, for messages: `the secret prod/stripe/webhook-signing-secrets`. Never a secret. */
  readonly name: string;
  /** The whsec_ secrets held, in stored order (oldest first). Anything else (a placeholder) is left out. */
  read(): Promise<string[]>;
  /** Replaces the whole list. Callers never pass an empty list: the ingest would then accept nothing. */
  write(secrets: readonly string[]): Promise<void>;
}

/**
 * Keeps only the entries that are signing secrets. The stack creates its secret with a random
 * placeholder so that it exists before Stripe has issued anything; that value must count as "none".
 */
export function signingSecretsOnly(entries: readonly string[]): string[] {
  return entries.filter((entry) => entry.startsWith('whsec_'));
}

/**
 * The stage's Secrets Manager secret. Reads any format the ingest reads (comma-separated list, JSON
 * array, `{"secrets": […]}`); writes a comma-separated list, which the ingest reads too.
 *
 * @example
 * const store = secretsManagerSecretStore(new SecretsManagerClient({}), 'prod/stripe/webhook-signing-secrets');
 */
export function secretsManagerSecretStore(client: SecretsManagerClient, secretId: string): SigningSecretStore {
  const name = `the secret ${secretId}`;
  return {
    name,
    async read() {
      let value: string | undefined;
      try {
        ({ SecretString: value } = await client.send(new GetSecretValueCommand({ SecretId: secretId })));
      } catch (error) {
        // The error's name says enough (AccessDenied, ResourceNotFound) and cannot carry the value.
        throw new Error(`Could not read ${name}: ${(error as Error).name}`, { cause: error });
      }
      if (value === undefined) return [];
      let entries: string[];
      try {
        entries = parseSecretString(value);
      } catch (error) {
        throw new Error(`Could not read ${name}: ${(error as Error).message}`);
      }
      return signingSecretsOnly(entries);
    },
    async write(secrets) {
      if (secrets.length === 0) throw new Error(`Refusing to empty ${name}: the ingest would accept no delivery`);
      try {
        await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: secrets.join(',') }));
      } catch (error) {
        throw new Error(`Could not write ${name}: ${(error as Error).name}`, { cause: error });
      }
    },
  };
}
