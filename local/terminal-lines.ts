/**
 * `npm start`'s terminal: lines written together, once per turn of the event loop. Writes to a terminal
 * or a file are synchronous in Node, and a batch of events completing at once is some sixty lines:
 * written one by one they held the event loop, ingest answers included, for about two milliseconds.
 */
import type { Print } from './event-log';

export interface TerminalLines {
  readonly print: Print;
  /** Writes what is waiting now (before a line written another way, and at exit). */
  flush(): void;
}

export function terminalLines(stream: NodeJS.WritableStream = process.stdout): TerminalLines {
  let waiting: string[] = [];
  const flush = () => {
    if (waiting.length === 0) return;
    const text = `${waiting.join('\n')}\n`;
    waiting = [];
    stream.write(text);
  };
  process.once('exit', flush);
  return {
    print: (line) => {
      waiting.push(line);
      if (waiting.length === 1) setImmediate(flush);
    },
    flush,
  };
}
