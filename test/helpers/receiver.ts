import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The exact body bytes. */
  body: Buffer;
  /** The client's port of the connection the request came on: equal ports, one reused connection. */
  remotePort: number;
  receivedAt: number;
}

/** Answers a recorded request in a way of its own (slow or huge bodies, no answer, a framework adapter). */
export type Respond = (request: ReceivedRequest, res: ServerResponse) => void;

export interface ReceiverBehaviour {
  status?: number;
  /** Milliseconds to wait before answering. */
  delayMs?: number;
  headers?: Record<string, string>;
  /** When given, answers instead of `status`, `delayMs` and `headers`. */
  respond?: Respond;
}

/** One TCP connection the receiver accepted. */
export interface ReceivedConnection {
  socket: Socket;
  /** Resolves once the connection has closed. */
  closed: Promise<void>;
}

/**
 * An in-process webhook receiver on 127.0.0.1:0 (Svix's TestReceiver idea): records every
 * request and connection and answers with the status or delay the test chooses, or through
 * its own `respond`.
 */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Every TCP connection accepted, whether or not a request arrived on it. */
  readonly connections: ReceivedConnection[] = [];
  behaviour: ReceiverBehaviour;
  private readonly server: Server;
  private waiters: { count: number; resolve: () => void }[] = [];

  private constructor(behaviour: ReceiverBehaviour) {
    this.behaviour = behaviour;
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request: ReceivedRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
          remotePort: req.socket.remotePort ?? -1,
          receivedAt: Date.now(),
        };
        this.requests.push(request);
        this.waiters = this.waiters.filter((w) => (this.requests.length >= w.count ? (w.resolve(), false) : true));
        const { status = 204, delayMs = 0, headers = {}, respond } = this.behaviour;
        if (respond) {
          respond(request, res);
          return;
        }
        const answer = () => {
          if (!res.destroyed) res.writeHead(status, headers).end();
        };
        if (delayMs > 0) setTimeout(answer, delayMs).unref();
        else answer();
      });
    });
    this.server.on('connection', (socket: Socket) => {
      this.connections.push({ socket, closed: new Promise((resolve) => socket.on('close', () => resolve())) });
    });
  }

  static async start(behaviour: ReceiverBehaviour = { status: 204 }): Promise<TestReceiver> {
    const receiver = new TestReceiver(behaviour);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Resolves once `count` requests have arrived in all; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 15_000): Promise<ReceivedRequest[]> {
    if (this.requests.length >= count) return Promise.resolve(this.requests);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`expected ${count} requests, got ${this.requests.length}`)),
        timeoutMs,
      );
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.requests);
        },
      });
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Waits a while and asserts nothing more arrived: the way to show "never again". */
export const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
