/**
 * AWS Signature Version 4 for the one request shape the ingest sends: a POST of a JSON body to `/` of
 * a service endpoint, with no query string. Written out (about 30 lines of node:crypto) rather than
 * taken from the SDK's general signer because the ingest signs on every webhook: this costs a third of
 * the CPU and far less code for V8 to warm up in a fresh container (BENCHMARKS.md). The SDK's signer is
 * the oracle in test/unit/ingest/sigv4.test.ts, which checks that both sign alike for any input.
 *
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createHash, createHmac } from 'node:crypto';

export interface SigningIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SigningScope {
  readonly region: string;
  /** The service's signing name, e.g. `sqs`. */
  readonly service: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

/**
 * The headers to send: `headers` (lower-case names, every one of them signed) plus `x-amz-date`,
 * `x-amz-security-token` when the identity has a session token, and `authorization`.
 */
export function signPost(headers: Readonly<Record<string, string>>, body: string, identity: SigningIdentity, scope: SigningScope, now: Date, keys = new SigningKeys()): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const all: Record<string, string> = { ...headers, 'x-amz-date': amzDate };
  if (identity.sessionToken) all['x-amz-security-token'] = identity.sessionToken;
  const names = Object.keys(all).sort();
  const signedHeaders = names.join(';');
  const canonicalHeaders = names.map((name) => `${name}:${all[name]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = `POST\n/\n\n${canonicalHeaders}\n${signedHeaders}\n${sha256Hex(body)}`;
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${amzDate}\n${credentialScope}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', keys.keyFor(identity.secretAccessKey, day, scope)).update(stringToSign).digest('hex');
  all.authorization = `${ALGORITHM} Credential=${identity.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return all;
}

/** The derived signing key changes once a day (and with the credentials): derive it once. */
export class SigningKeys {
  private cached: { id: string; key: Buffer } | undefined;

  keyFor(secretAccessKey: string, day: string, { region, service }: SigningScope): Buffer {
    const id = `${day}/${region}/${service}/${secretAccessKey}`;
    if (this.cached?.id !== id) {
      const dated = hmac(`AWS4${secretAccessKey}`, day);
      this.cached = { id, key: hmac(hmac(hmac(dated, region), service), 'aws4_request') };
    }
    return this.cached.key;
  }
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const sha256Hex = (data: string) => createHash('sha256').update(data).digest('hex');
