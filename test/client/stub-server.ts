import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the stub saw. */
export interface StubRequest {
  method: string;
  /** The raw request target, as sent (still percent-encoded). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Answers request number `index` (0-based); may leave `res` unanswered to simulate a hang. */
export type StubHandler = (res: ServerResponse, index: number, req: StubRequest) => void;

/**
 * A stand-in for the service on 127.0.0.1:0 that answers what a test scripts: 503s, hangs,
 * redirects, odd bodies — the failures local mode cannot be made to produce. Used only for the
 * client's transport behaviour; the operations themselves are tested against local mode.
 */
export class StubServer {
  readonly requests: StubRequest[] = [];
  handler: StubHandler = (res) => json(res, 200, {});
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const seen: StubRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
        this.requests.push(seen);
        this.handler(res, this.requests.length - 1, seen);
      });
    });
  }

  static async start(): Promise<StubServer> {
    const stub = new StubServer();
    await new Promise<void>((resolve) => stub.server.listen(0, '127.0.0.1', resolve));
    return stub;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** A loopback URL on which nothing listens: a port we bound, then released. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
