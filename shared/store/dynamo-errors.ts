/** SDK exceptions are translated inside the adapters; this recognises the one they branch on. */
export function isConditionalCheckFailed(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}
