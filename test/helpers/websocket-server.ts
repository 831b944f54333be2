/**
 * The server side of RFC 6455, as little of it as a test needs: the opening handshake on an HTTP
 * upgrade, text messages both ways (fragmented or not), ping answered by pong, and the closing
 * handshake. Written here because `ws` is not a dependency of this project; compression, binary
 * messages and anything else a client may offer are left unnegotiated, which a client must accept.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

// The fixed GUID of RFC 6455 §1.3, hashed with the client's key to prove the server speaks WebSocket.
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface WebSocketPeerEvents {
  message: [text: string];
  close: [code: number | undefined];
}

/** One accepted connection. Emits `message` for each complete text message and `close` once. */
export class WebSocketPeer extends EventEmitter<WebSocketPeerEvents> {
  private buffered = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private closing = false;
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    /** The upgrade request, for its URL and headers. */
    readonly request: IncomingMessage,
    head: Buffer,
  ) {
    super();
    // Bytes the client sent right after its handshake arrive with the upgrade, not as data; they are
    // read on the next turn, once the caller has attached its listeners.
    this.buffered = Buffer.from(head);
    if (head.length > 0) setImmediate(() => this.receive(Buffer.alloc(0)));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => this.finish(undefined));
    // A reset from the client ends the connection like a close would; there is no one else to tell.
    socket.on('error', () => this.finish(undefined));
  }

  send(text: string): void {
    this.write(OPCODE.text, Buffer.from(text, 'utf8'));
  }

  /** Starts the closing handshake; the socket ends when the client answers (or at once if it is gone). */
  close(code = 1000, reason = ''): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    this.write(OPCODE.close, payload);
    // Bounded: a client that never answers the close must not keep the test's server open.
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  private write(opcode: number, payload: Buffer): void {
    if (this.closed || this.socket.destroyed) return;
    // Server frames are never masked (§5.1); the length takes 7, 7+16 or 7+64 bits (§5.2).
    let header: Buffer;
    if (payload.length < 126) {
      header = Buffer.from([0x80 | opcode, payload.length]);
    } else if (payload.length < 0x10000) {
      header = Buffer.alloc(4);
      header[0] = 0x80 | opcode;
      header[1] = 126;
      header.writeUInt16BE(payload.length, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x80 | opcode;
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    this.socket.write(Buffer.concat([header, payload]));
  }

  private receive(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    for (;;) {
      const frame = readFrame(this.buffered);
      if (!frame) return;
      this.buffered = this.buffered.subarray(frame.size);
      if (!frame.masked) {
        // §5.1: a server must fail the connection on an unmasked client frame (1002, protocol error).
        this.close(1002, 'client frames must be masked');
        return;
      }
      this.handle(frame.fin, frame.opcode, frame.payload);
    }
  }

  private handle(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OPCODE.ping:
        this.write(OPCODE.pong, payload);
        return;
      case OPCODE.pong:
        return;
      case OPCODE.close: {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : undefined;
        // Answer a close the client started; if we started it, this is the answer and we are done.
        if (!this.closing) this.write(OPCODE.close, payload.subarray(0, 2));
        this.closing = true;
        this.socket.end();
        this.finish(code);
        return;
      }
      case OPCODE.text:
      case OPCODE.binary:
      case OPCODE.continuation:
        this.fragments.push(payload);
        if (fin) {
          const message = Buffer.concat(this.fragments).toString('utf8');
          this.fragments = [];
          this.emit('message', message);
        }
        return;
      default:
        this.close(1002, `unknown opcode ${opcode}`);
    }
  }

  private finish(code: number | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', code);
  }
}

/** A complete frame at the start of `buffer`, unmasked, or undefined when more bytes are needed. */
function readFrame(buffer: Buffer): { fin: boolean; opcode: number; masked: boolean; payload: Buffer; size: number } | undefined {
  if (buffer.length < 2) return undefined;
  const fin = (buffer[0]! & 0x80) !== 0;
  const opcode = buffer[0]! & 0x0f;
  const masked = (buffer[1]! & 0x80) !== 0;
  let length = buffer[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return undefined;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return undefined;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  const maskKey = masked ? buffer.subarray(offset, offset + 4) : undefined;
  if (masked) offset += 4;
  if (buffer.length < offset + length) return undefined;
  const payload = Buffer.from(buffer.subarray(offset, offset + length));
  if (maskKey) for (let i = 0; i < payload.length; i++) payload[i]! ^= maskKey[i % 4]!;
  return { fin, opcode, masked, payload, size: offset + length };
}

/**
 * Completes the opening handshake for an HTTP server's `upgrade` event (§4.2.2). `protocol` is the
 * subprotocol to select when the client offers it.
 */
export function acceptWebSocket(request: IncomingMessage, socket: Duplex, head: Buffer, protocol?: string): WebSocketPeer {
  const key = request.headers['sec-websocket-key'];
  if (typeof key !== 'string' || request.headers.upgrade?.toLowerCase() !== 'websocket') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    throw new Error('Not a WebSocket upgrade request');
  }
  const accept = createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
  const offered = String(request.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((name) => name.trim());
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`];
  if (protocol && offered.includes(protocol)) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  return new WebSocketPeer(socket, request, head);
}
