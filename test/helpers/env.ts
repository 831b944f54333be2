// Every test process talks only to the local emulators, with dummy credentials.
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'local';
process.env.AWS_SECRET_ACCESS_KEY = 'local';
// Metrics are asserted through injected recorders; EMF lines on stdout would only be noise.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
// Lambda runs Node 22+; this machine's Node 20 is only for development.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT';
