import { InvalidArgumentError, PayloadTooLargeError } from '../errors.ts';

// ignoreBOM keeps a leading U+FEFF in the text: the message is delivered unchanged.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A published (or test) message's text: the raw body, valid UTF-8, at most `maxBytes`
 * (413 beyond). Empty is refused unless `emptyAs` gives the text to use instead.
 */
export function messageText(body: Buffer, maxBytes: number, emptyAs?: string): string {
  if (body.length === 0) {
    if (emptyAs !== undefined) return emptyAs;
    throw new InvalidArgumentError('the message must not be empty');
  }
  if (body.length > maxBytes) {
    throw new PayloadTooLargeError(`the message is ${body.length} bytes, the maximum is ${maxBytes}`);
  }
  try {
    return strictUtf8.decode(body);
  } catch {
    throw new InvalidArgumentError('the message must be valid UTF-8');
  }
}
