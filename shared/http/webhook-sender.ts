import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, connect as netConnect, type Socket, type TcpNetConnectOpts } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import {
  checkAddress,
  createGuardedLookup,
  DestinationRefusedError,
  validatePostUrl,
  type DestinationPolicy,
  type Resolver,
} from '../destination.ts';
import type { ClosableWebhookSender, DeliveryOutcome, DeliveryRequest, OutcomeKind } from '../delivery/model.ts';

/**
 * What a connector is asked to open: always a vetted IP address (`host`), never a name, with
 * `servername` carrying the URL's host name for TLS (SNI and certificate check).
 */
export type ConnectOptions = ConnectionOptions & { host: string; port: number; secure: boolean };

/** Opens the TCP (or TLS, when `secure`) connection of one delivery. */
export type Connector = (options: ConnectOptions) => Socket;

export interface WebhookSenderOptions {
  policy: DestinationPolicy;
  /** The `user-agent` of every delivery (docs/design.md#delivery-contract). */
  userAgent: string;
  /**
   * One deadline over the whole request: connect, send, response headers and draining.
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * Response bytes read (and discarded) before the connection is dropped instead of reused.
   * @default 65536
   */
  maxResponseBytes?: number;
  /**
   * A pooled connection idle longer than this is closed rather than reused: a Lambda container
   * thawed after minutes would otherwise write into sockets the receiver has long closed.
   * @default 4000
   */
  maxIdleMs?: number;
  /** Resolves host names (tests inject answers). @default dns.lookup */
  resolve?: Resolver;
  /** Opens connections (tests spy on it). @default net.connect, or tls.connect for https */
  connect?: Connector;
}


const defaultConnect: Connector = ({ secure, ...options }) =>
  secure ? tlsConnect(options) : netConnect(options as TcpNetConnectOpts);

const DNS_ERRORS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL', 'ENODATA', 'ESERVFAIL']);
const TLS_ERRORS = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'EPROTO',
]);
const TLS_PREFIXES = ['ERR_TLS_', 'ERR_SSL_', 'CERT_', 'UNABLE_TO_'];

/** Maps a request error to an outcome kind (a status code, when there is one, decides first). */
function classifyDeliveryError(err: unknown, timedOut: boolean): OutcomeKind {
  if (err instanceof DestinationRefusedError) return 'destination_refused';
  if (timedOut) return 'timeout';
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  if (code === 'EDESTINATIONREFUSED') return 'destination_refused';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (DNS_ERRORS.has(code)) return 'dns_error';
  if (TLS_ERRORS.has(code) || TLS_PREFIXES.some((prefix) => code.startsWith(prefix))) return 'tls_error';
  return 'network_error';
}

/**
 * The outbound webhook POST (docs/design.md#delivery-contract, #destination-safety), one per sender and container: kept-alive connections
 * reused across invocations, every connection made only to an address `checkAddress` allowed
 * (literal hosts checked directly, names through the guarded lookup, so the checked address is
 * the one dialled), redirects never followed, one deadline over the whole request, the response
 * body read and discarded up to a cap. `send` never throws and never logs: every failure is an
 * outcome.
 *
 * @throws Error at creation (cold start) when the policy's allowlist holds an invalid CIDR
 */
export function createWebhookSender(options: WebhookSenderOptions): ClosableWebhookSender {
  const { policy, userAgent } = options;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxResponseBytes = options.maxResponseBytes ?? 64 * 1024;
  const maxIdleMs = options.maxIdleMs ?? 4000;
  const connect = options.connect ?? defaultConnect;
  const lookup = createGuardedLookup(policy, options.resolve);
  const idleSince = new WeakMap<Duplex, number>();

  const httpAgent = guardAgent(new http.Agent({ keepAlive: true, scheduling: 'lifo' }), false);
  const httpsAgent = guardAgent(new https.Agent({ keepAlive: true, scheduling: 'lifo' }), true);

  function guardAgent<A extends http.Agent>(agent: A, secure: boolean): A {
    // Node's keepSocketAlive returns whether the socket is kept (its typings say void).
    const keepSocketAlive = agent.keepSocketAlive.bind(agent) as unknown as (socket: Duplex) => boolean;
    agent.keepSocketAlive = (socket) => {
      const keep = keepSocketAlive(socket);
      if (keep) idleSince.set(socket, Date.now());
      return keep;
    };
    // The agent asks for a connection; the connector only ever sees an address that passed
    // `checkAddress`, so a refused destination never reaches it.
    agent.createConnection = (connectionOptions, oncreate) => {
      // Node's agent always passes `oncreate`; it takes an error alone, whatever its typings say.
      const created = (err: Error | null, socket?: Duplex) => oncreate?.(err, socket as Duplex);
      const host = unbracket(connectionOptions.host ?? connectionOptions.hostname ?? '');
      const dial = (address: string) => {
        try {
          const options = connectionOptions as ConnectionOptions;
          created(null, connect({ ...options, host: address, port: Number(options.port), lookup: undefined, secure }));
        } catch (err) {
          created(err instanceof Error ? err : new Error(String(err)));
        }
      };
      if (isIP(host) !== 0) {
        const verdict = checkAddress(host, policy);
        if (verdict.allowed) dial(host);
        else created(new DestinationRefusedError(`destination refused: ${verdict.reason}`));
        return undefined;
      }
      const family = connectionOptions.family === 4 || connectionOptions.family === 6 ? connectionOptions.family : 0;
      // As net.connect would ask (ADDRCONFIG: no IPv6 answers on a host without IPv6), and IPv4
      // first: only the first address is dialled, and Lambda has IPv4 egress everywhere.
      const hints = family === 0 && process.platform !== 'win32' ? dns.ADDRCONFIG : 0;
      lookup(host, { family, hints, order: 'ipv4first' }, (err, address) => {
        if (err) created(err);
        else dial(address as string);
      });
      return undefined;
    };
    return agent;
  }

  /** Closes pooled sockets idle too long; they sit at the front of each pool (oldest first). */
  function dropStaleSockets(agent: http.Agent): void {
    const now = Date.now();
    for (const pool of Object.values(agent.freeSockets)) {
      for (const socket of pool ?? []) {
        if (now - (idleSince.get(socket) ?? 0) > maxIdleMs) socket.destroy();
      }
    }
  }

  async function send(request: DeliveryRequest): Promise<DeliveryOutcome> {
    const attemptedAt = Date.now();
    const started = performance.now();
    const outcome = (kind: OutcomeKind, statusCode?: number): DeliveryOutcome => ({
      kind,
      ...(statusCode === undefined ? {} : { statusCode }),
      latencyMs: Math.round(performance.now() - started),
      attemptedAt,
    });

    let target: URL;
    try {
      // The stored URL passed this at put time; the policy may have changed since.
      validatePostUrl(request.url, policy);
      target = new URL(request.url);
    } catch {
      return outcome('destination_refused');
    }
    const secure = target.protocol === 'https:';
    const agent = secure ? httpsAgent : httpAgent;
    dropStaleSockets(agent);
    const payload = Buffer.from(request.body, 'utf8');

    return new Promise<DeliveryOutcome>((resolve) => {
      const controller = new AbortController();
      let settled = false;
      let statusCode: number | undefined;
      const finish = (kind: OutcomeKind) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(outcome(kind, statusCode));
      };
      const byStatus = (): OutcomeKind =>
        statusCode !== undefined && statusCode >= 200 && statusCode < 300 ? 'delivered' : 'http_error';
      // Once the status line has arrived within the deadline, it decides (docs/design.md#delivery-contract: "any 2xx status
      // within 5 s"; the body is ignored): a late or broken body only ends the draining.
      const fail = (err: unknown) =>
        finish(statusCode !== undefined ? byStatus() : classifyDeliveryError(err, controller.signal.aborted));
      const deadline = setTimeout(() => controller.abort(), timeoutMs);

      try {
        const req = (secure ? https : http).request(
          target,
          {
            method: 'POST',
            agent,
            signal: controller.signal,
            headers: {
              ...request.headers,
              'content-type': 'application/json',
              'user-agent': userAgent,
              'content-length': String(payload.length),
            },
          },
          (res) => {
            statusCode = res.statusCode;
            let received = 0;
            res.on('data', (chunk: Buffer) => {
              received += chunk.length;
              if (received > maxResponseBytes) {
                // A socket with unread data must not go back to the pool.
                finish(byStatus());
                res.destroy();
              }
            });
            res.on('end', () => finish(byStatus()));
            res.on('error', fail);
            res.on('close', () => finish(byStatus()));
          },
        );
        req.on('error', fail);
        req.end(payload);
      } catch (err) {
        fail(err);
      }
    });
  }

  return {
    send,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

const unbracket = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
