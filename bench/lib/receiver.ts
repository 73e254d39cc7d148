import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Called for every delivery a receiver accepts: the message id embedded in the text, and when it arrived. */
export type ReceiptListener = (receipt: { messageId: number; receiver: number; at: number }) => void;

const MESSAGE_ID = /"text":"bench:(\d+):/;

/**
 * A minimal webhook receiver on 127.0.0.1:0 for the benchmark: reads the body, notes the
 * message id the benchmark put in the text and the arrival time (`performance.now()`, the
 * clock of this process, where the publishers run too), and answers 204. It checks
 * signatures, so a run that measured unsigned or wrongly signed traffic fails loudly instead
 * of reporting a number: the first delivery to each path it was told a secret for
 * (`expectSignature`), and, given `secret`, the first delivery to any other path.
 *
 * Several webhooks may share one receiver, each on its own path (`urlFor`): ten thousand
 * webhooks need not mean ten thousand listening sockets.
 */
export class BenchReceiver {
  received = 0;
  /** The secret of deliveries to paths without one of their own (the raw limit signs every POST with one). */
  secret: string | undefined;
  signatureChecked = false;
  /** Path → secret, for paths whose first delivery has not been checked yet. */
  private readonly unchecked = new Map<string, string>();
  private readonly server: Server;

  private constructor(
    readonly index: number,
    private readonly onReceipt: ReceiptListener,
  ) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = performance.now();
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        this.received++;
        const path = req.url ?? '/';
        const own = this.unchecked.get(path);
        if (own !== undefined) {
          this.unchecked.delete(path);
          this.checkSignature(body, req.headers['momento-signature'], own, path);
        } else if (this.secret !== undefined && !this.signatureChecked) {
          this.checkSignature(body, req.headers['momento-signature'], this.secret, path);
          this.signatureChecked = true;
        }
        const match = MESSAGE_ID.exec(body.toString('latin1', 0, Math.min(body.length, 512)));
        res.writeHead(204).end();
        if (match) this.onReceipt({ messageId: Number(match[1]), receiver: this.index, at });
      });
    });
    // The sender drops pooled sockets idle for 4 s; keep ours open longer than that.
    this.server.keepAliveTimeout = 10_000;
  }

  static async start(index: number, onReceipt: ReceiptListener): Promise<BenchReceiver> {
    const receiver = new BenchReceiver(index, onReceipt);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return this.urlFor(`hook/${this.index}`);
  }

  /** This receiver's URL for `path` (no leading slash; URL-safe). */
  urlFor(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/${path}`;
  }

  /** Checks the next delivery to `url` (one of this receiver's `urlFor`) against `secret`. */
  expectSignature(url: string, secret: string): void {
    this.unchecked.set(new URL(url).pathname, secret);
  }

  private checkSignature(body: Buffer, header: string | string[] | undefined, secret: string, path: string): void {
    const expected = createHmac('sha3-256', secret).update(body).digest();
    const given = Buffer.from(typeof header === 'string' ? header : '', 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new Error(`receiver ${this.index}: a delivery to ${path} arrived with a wrong momento-signature`);
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Starts `count` receivers, each reporting receipts to `onReceipt`. */
export async function startReceivers(count: number, onReceipt: ReceiptListener): Promise<BenchReceiver[]> {
  const receivers: BenchReceiver[] = [];
  // A few at a time: a thousand listens at once is needless pressure on a shared machine.
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, j) => BenchReceiver.start(i + j, onReceipt)),
    );
    receivers.push(...batch);
  }
  return receivers;
}

export async function closeReceivers(receivers: readonly BenchReceiver[]): Promise<void> {
  await Promise.all(receivers.map((r) => r.close()));
}
