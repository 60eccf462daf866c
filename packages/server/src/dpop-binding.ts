import { DPOP_ALGS } from './create-dpop-proof-verifier.js';
import type { HandlerContext, RequestMeta } from './handler-context.js';
import type { FamilyRecord } from './refresh-store.js';
import { error } from './responses.js';

/** The proof's key thumbprint when the request carries a valid proof; none without `dpop` or without a proof. */
export type Binding = { jkt: string | undefined; refused?: undefined } | { jkt?: undefined; refused: Response };

const UNBOUND: Binding = { jkt: undefined };

/**
 * Reads the `DPoP` proof of a login or refresh request (RFC 9449 5): POST to this URL, no `ath`.
 * A present but invalid proof, or none when `dpop: 'required'`, is a 400 `invalid_dpop_proof`
 * that changes nothing: a transient failure for the client (a clock off, a replayed proof), never
 * a reason to end its session.
 *
 * @example
 * const binding = await dpopBinding(ctx, request, meta);
 * if (binding.refused) return binding.refused;
 */
export async function dpopBinding(ctx: HandlerContext, request: Request, meta: RequestMeta): Promise<Binding> {
  if (!ctx.dpop) return UNBOUND;
  const proof = request.headers.get('dpop') ?? undefined;
  if (proof === undefined && ctx.options.dpop !== 'required') return UNBOUND;
  const result = await ctx.dpop(proof, { method: request.method, url: request.url });
  if (result.ok) return { jkt: result.jkt };
  ctx.options.onEvent({ type: 'dpop_refused', path: meta.path, reason: result.reason });
  return { refused: error(400, 'invalid_dpop_proof', { 'www-authenticate': `DPoP error="invalid_dpop_proof", ${DPOP_ALGS}` }) };
}

/** The key a family's access tokens are bound to: in bearer mode only (a cookie-mode token never reaches script, and goes out without a proof). */
export function boundKey(family: Pick<FamilyRecord, 'mode' | 'jkt'>): string | undefined {
  return family.mode === 'bearer' ? family.jkt : undefined;
}
