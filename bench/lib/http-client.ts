import http from 'node:http';

/** The optional settings of a put (the service's defaults when left out). */
export interface WebhookSettings {
  standardWebhooks?: boolean;
  rateLimitPerSecond?: number;
}

/** A response: status, body text and the round trip in ms. */
export interface Reply {
  status: number;
  text: string;
  ms: number;
}

/**
 * A lean HTTP/1.1 client over kept-alive loopback connections for the publishers and the
 * setup calls (fetch costs more CPU per request, and the publishers share the machine with
 * the service they measure).
 */
export class HttpClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  request(method: string, path: string, body?: string | Buffer, contentType = 'application/json'): Promise<Reply> {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        `${this.baseUrl}${path}`,
        {
          method,
          agent: this.agent,
          headers: {
            authorization: this.apiKey,
            ...(payload ? { 'content-type': contentType, 'content-length': String(payload.length) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Publishes a message; resolves with the round trip, rejects unless `204`. */
  async publish(cacheName: string, topicName: string, message: string): Promise<number> {
    const reply = await this.request('POST', `/topics/${encodeURIComponent(cacheName)}/${encodeURIComponent(topicName)}`, message, 'text/plain');
    if (reply.status !== 204) throw new Error(`publish answered ${reply.status}: ${reply.text.slice(0, 200)}`);
    return reply.ms;
  }

  /** Creates or updates a webhook and returns its secret. */
  async putWebhook(cacheName: string, webhookName: string, topicName: string, postUrl: string, settings: WebhookSettings = {}): Promise<string> {
    const reply = await this.request(
      'PUT',
      `/webhooks/${encodeURIComponent(cacheName)}/${encodeURIComponent(webhookName)}`,
      JSON.stringify({ topicName, destination: { postUrl }, ...settings }),
    );
    if (reply.status !== 200) throw new Error(`put webhook answered ${reply.status}: ${reply.text.slice(0, 200)}`);
    return (JSON.parse(reply.text) as { secret: string }).secret;
  }

  /** Creates an API key (as a production publisher would hold one) and returns it. */
  async createKey(body: { permissions: string[]; caches: string[]; tokenId?: string }): Promise<string> {
    const reply = await this.request('POST', '/keys', JSON.stringify(body));
    if (reply.status !== 201) throw new Error(`create key answered ${reply.status}: ${reply.text.slice(0, 200)}`);
    return (JSON.parse(reply.text) as { apiKey: string }).apiKey;
  }

  withKey(apiKey: string): HttpClient {
    return new HttpClient(this.baseUrl, apiKey);
  }

  close(): void {
    this.agent.destroy();
  }
}
