/**
 * Follows the local stack's terminal output (a file) as it grows and keeps the completion time of each
 * event from its "✓ … evt_… completed" line, which shows the time of the commit as a time of day. Read
 * a few times a second, only the new bytes: the benchmark can then pace its senders on completions
 * without re-reading megabytes of log.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const COMPLETED = /^(\d\d:\d\d:\d\d\.\d\d\d) ✓ \S+ +(evt_\w+) +completed/;

export class CompletionTail {
  /** Completion time (epoch ms) by event id. */
  readonly completedAt = new Map<string, number>();
  private readonly fd: number;
  private offset = 0;
  private partial = '';
  private readonly timer: NodeJS.Timeout;
  private readonly buffer = Buffer.alloc(1 << 20);
  // A character cut by the end of a read is completed by the next one.
  private readonly decoder = new StringDecoder('utf8');

  constructor(file: string, everyMs = 100) {
    this.fd = openSync(file, 'r');
    this.timer = setInterval(() => this.read(), everyMs);
  }

  /** Reads what the file gained since the last read. */
  read(): void {
    for (;;) {
      const bytes = readSync(this.fd, this.buffer, 0, this.buffer.length, this.offset);
      if (bytes === 0) return;
      this.offset += bytes;
      const lines = (this.partial + this.decoder.write(this.buffer.subarray(0, bytes))).split('\n');
      this.partial = lines.pop()!;
      for (const line of lines) this.take(line);
    }
  }

  private take(line: string): void {
    const match = COMPLETED.exec(line);
    if (!match) return;
    // A time of day more than 12 hours after now belongs to the day before (a run that crosses midnight).
    const now = Date.now();
    const at = Date.parse(`${new Date(now).toISOString().slice(0, 10)}T${match[1]}Z`);
    this.completedAt.set(match[2]!, at > now + 12 * 3_600_000 ? at - 86_400_000 : at);
  }

  stop(): void {
    clearInterval(this.timer);
    closeSync(this.fd);
  }
}
