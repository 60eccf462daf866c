/** An unsigned JWT with the given claims: the core only reads times, it never verifies. */
export function fakeJwt(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'none' }): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(claims)}.`;
}
