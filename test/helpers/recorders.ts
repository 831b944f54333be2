/** In-memory stand-ins for the logger and the metrics, so tests can assert what was logged and counted. */
import type { Count, Log } from '../../functions/shared/observability';

export interface LogEntry {
  readonly level: keyof Log;
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

export function recordingLog(): Log & { readonly entries: LogEntry[]; messages(): string[]; text(): string } {
  const entries: LogEntry[] = [];
  const at = (level: keyof Log) => (message: string, ...attributes: Record<string, unknown>[]) =>
    entries.push({ level, message, attributes: Object.assign({}, ...attributes) });
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    messages: () => entries.map((entry) => entry.message),
    text: () => JSON.stringify(entries),
  };
}

export function recordingCount(): Count & { readonly totals: Record<string, number> } {
  const totals: Record<string, number> = {};
  const count = ((metric: string, value = 1) => {
    totals[metric] = (totals[metric] ?? 0) + value;
  }) as Count & { totals: Record<string, number> };
  Object.defineProperty(count, 'totals', { value: totals });
  return count;
}
