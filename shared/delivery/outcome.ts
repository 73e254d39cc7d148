/** How one delivery attempt ended (§3: every outcome is recorded, none is retried). */
export type OutcomeKind =
  | 'delivered'
  | 'http_error'
  | 'timeout'
  | 'connection_refused'
  | 'dns_error'
  | 'tls_error'
  | 'destination_refused'
  | 'network_error';

export interface DeliveryOutcome {
  kind: OutcomeKind;
  /** The receiver's status code, when it answered. */
  statusCode?: number;
  /** From the start of the request to its end (or abort). */
  latencyMs: number;
  /** Epoch ms when the POST started: the body's `publish_timestamp`. */
  attemptedAt: number;
}
