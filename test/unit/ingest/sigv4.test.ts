/**
 * The ingest's own SigV4 (functions/ingest/sigv4.ts) against the AWS SDK's signer as the oracle: for
 * any body, time, credentials, host, region and target, both must produce the same signature.
 */
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { SigningKeys, signPost, type SigningIdentity } from '../../../functions/ingest/sigv4';

async function sdkSignature(headers: Record<string, string>, body: string, identity: SigningIdentity, region: string, service: string, now: Date) {
  const signer = new SignatureV4({ service, region, credentials: identity, sha256: Sha256, applyChecksum: false });
  const [hostname, port] = headers.host!.split(':');
  const request = new HttpRequest({ method: 'POST', protocol: 'https:', hostname, ...(port ? { port: Number(port) } : {}), path: '/', headers, body });
  const signed = await signer.sign(request, { signingDate: now });
  return signed.headers.authorization;
}

const token = fc.stringMatching(/^[A-Za-z0-9/+=]{1,60}$/);

describe('signPost (SigV4)', () => {
  it('signs as the SDK’s SignatureV4 does, for any input', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 3000 }),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
        fc.record({ accessKeyId: fc.stringMatching(/^[A-Z0-9]{16,20}$/), secretAccessKey: token, sessionToken: fc.option(token, { nil: undefined }) }),
        fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2'),
        fc.constantFrom(['sqs', 'AmazonSQS.SendMessage', 'application/x-amz-json-1.0'], ['secretsmanager', 'secretsmanager.GetSecretValue', 'application/x-amz-json-1.1']),
        fc.constantFrom('sqs.us-east-1.amazonaws.com', '127.0.0.1:9324', 'localhost:4566'),
        async (body, now, credentials, region, [service, target, contentType], host) => {
          const identity: SigningIdentity = credentials.sessionToken ? credentials : { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey };
          const headers = { host, 'content-type': contentType, 'x-amz-target': target };
          const ours = signPost(headers, body, identity, { region, service }, now);
          expect(ours.authorization).toBe(await sdkSignature({ ...headers, 'x-amz-date': ours['x-amz-date']!, ...(identity.sessionToken ? { 'x-amz-security-token': identity.sessionToken } : {}) }, body, identity, region, service, now));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('derives a new signing key when the day changes', () => {
    const keys = new SigningKeys();
    const identity = { accessKeyId: 'AKID', secretAccessKey: 'secret' };
    const scope = { region: 'us-east-1', service: 'sqs' };
    const headers = { host: 'sqs.us-east-1.amazonaws.com', 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage' };
    const late = signPost(headers, '{}', identity, scope, new Date('2026-11-23T23:59:59Z'), keys);
    const early = signPost(headers, '{}', identity, scope, new Date('2026-11-24T00:00:01Z'), keys);
    expect(late.authorization).toContain('/20261123/us-east-1/sqs/aws4_request');
    expect(early.authorization).toContain('/20261124/us-east-1/sqs/aws4_request');
    expect(early.authorization).toBe(signPost(headers, '{}', identity, scope, new Date('2026-11-24T00:00:01Z')).authorization);
  });
});
