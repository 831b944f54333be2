/**
 * Starts DynamoDB Local and the SQS emulator once for the whole run, on free loopback ports, and
 * passes their endpoints to the test workers through the environment.
 */
import { startEmulators, type Emulators } from '../../local/emulators';

declare global {
  // eslint-disable-next-line no-var
  var __EMULATORS__: Emulators | undefined;
}

export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const emulators = await startEmulators();
  globalThis.__EMULATORS__ = emulators;
  process.env.TEST_DYNAMODB_ENDPOINT = emulators.dynamodb.endpoint;
  process.env.TEST_SQS_ENDPOINT = emulators.sqs.endpoint;
}
