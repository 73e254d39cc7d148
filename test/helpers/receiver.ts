import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** A server's TLS key and certificate. */
export interface TlsIdentity {
  key: string;
  cert: string;
}

/**
 * A self-signed key and certificate for 127.0.0.1 (valid to 2126), for HTTPS receivers in
 * tests only: a process that trusts it gets `NODE_EXTRA_CA_CERTS=LOOPBACK_CERT_PATH`.
 */
export const LOOPBACK_CERT_PATH = new URL('../fixtures/loopback-cert.pem', import.meta.url).pathname;
export const loopbackTls = (): TlsIdentity => ({
  key: readFileSync(new URL('../fixtures/loopback-key.pem', import.meta.url), 'utf8'),
  cert: readFileSync(LOOPBACK_CERT_PATH, 'utf8'),
});

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
  private readonly scheme: 'http' | 'https';
  private waiters: { count: number; resolve: () => void }[] = [];

  private constructor(behaviour: ReceiverBehaviour, tls?: TlsIdentity) {
    this.behaviour = behaviour;
    this.scheme = tls ? 'https' : 'http';
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
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
    };
    this.server = tls ? createHttpsServer(tls, onRequest) : createServer(onRequest);
    this.server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
      this.connections.push({ socket, closed: new Promise((resolve) => socket.on('close', () => resolve())) });
    });
  }

  /** With `tls`, an HTTPS receiver (the key and certificate of test/fixtures for 127.0.0.1). */
  static async start(behaviour: ReceiverBehaviour = { status: 204 }, tls?: TlsIdentity): Promise<TestReceiver> {
    const receiver = new TestReceiver(behaviour, tls);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/hook'): string {
    return `${this.scheme}://127.0.0.1:${this.port}${path}`;
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
