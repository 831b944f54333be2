/**
 * Starts DynamoDB Local and the SQS emulator once for the whole run, on free loopback ports, and
 * passes their endpoints to the test workers through the environment.
 */
import { startDynamoDbLocal, startSqsEmulator, type Emulator } from '../../local/emulators';

declare global {
  // eslint-disable-next-line no-var
  var __EMULATORS__: Emulator[] | undefined;
}

export default async function globalSetup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const [dynamo, sqs] = await Promise.all([startDynamoDbLocal(), startSqsEmulator()]);
  globalThis.__EMULATORS__ = [dynamo, sqs];
  process.env.TEST_DYNAMODB_ENDPOINT = dynamo.endpoint;
  process.env.TEST_SQS_ENDPOINT = sqs.endpoint;
}
