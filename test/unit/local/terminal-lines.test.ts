/** `npm start`'s terminal lines: written together once per turn of the event loop, in order. */
import { terminalLines } from '../../../local/terminal-lines';

function recorder() {
  const writes: string[] = [];
  return { writes, stream: { write: (text: string) => writes.push(text) } as unknown as NodeJS.WritableStream };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('terminal lines', () => {
  it('writes the lines of one turn of the event loop in one write, in order', async () => {
    const { writes, stream } = recorder();
    const { print } = terminalLines(stream);
    print('one');
    print('two');
    print('three');
    expect(writes).toEqual([]);

    await nextTurn();
    expect(writes).toEqual(['one\ntwo\nthree\n']);

    print('four');
    await nextTurn();
    expect(writes).toEqual(['one\ntwo\nthree\n', 'four\n']);
  });

  it('writes what waits at once when flushed, and nothing twice', async () => {
    const { writes, stream } = recorder();
    const { print, flush } = terminalLines(stream);
    print('stopping');
    flush();
    expect(writes).toEqual(['stopping\n']);

    await nextTurn();
    flush();
    expect(writes).toEqual(['stopping\n']);
  });
});
