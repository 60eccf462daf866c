/**
 * A JSON object: what a token response, a JWT payload or a peer's message must be (not null, not an array).
 * @example
 * isRecord(JSON.parse('{"a":1}')); // true
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
