import type { UpstreamTokens } from './create-oidc-upstream.js';
import type { SignedAccessToken } from './create-key-ring.js';
import { sha256 } from './crypto.js';
import { boundKey } from './dpop-binding.js';
import type { HandlerContext } from './handler-context.js';
import type { FamilyRecord } from './refresh-store.js';

/** `ended`: the provider refused (its `invalid_grant`), the family is revoked. `unavailable`: unreachable and the token expired. */
export type UpstreamCheck = 'ok' | 'ended' | 'unavailable';

/** Due when less than min(60 s, half its lifetime) remains: short-lived provider tokens are not refreshed on every call. */
function isDue(tokens: UpstreamTokens, now: number): boolean {
  return tokens.accessExpiresAt - now < Math.min(60_000, tokens.accessLifetimeMs / 2);
}

/**
 * Before a rotation of `presented`: refreshes the provider's tokens when its access token is near
 * expiry, at most once at a time per family in this instance (`ctx.upstreamInflight`), and stores
 * them sealed in the family. Only the current token's holder triggers it: a parent in its grace
 * window gets the rotation's answer, never a second provider refresh.
 */
export async function freshenUpstream(ctx: HandlerContext, presented: string): Promise<UpstreamCheck> {
  const { upstream, options } = ctx;
  if (!upstream) return 'ok';
  const hash = await sha256(presented);
  const family = await ctx.store.findByToken(hash);
  if (!family?.upstream || family.current !== hash) return 'ok';
  let running = ctx.upstreamInflight.get(family.id);
  if (!running) {
    running = refreshAtProvider(ctx, family, options.clock());
    ctx.upstreamInflight.set(family.id, running);
    void running.finally(() => ctx.upstreamInflight.delete(family.id)).catch(() => undefined);
  }
  return running;
}

async function refreshAtProvider(ctx: HandlerContext, family: FamilyRecord, now: number): Promise<UpstreamCheck> {
  const { upstream, options, store } = ctx;
  const tokens = (await upstream!.box.open('tokens', family.upstream!)) as UpstreamTokens | undefined;
  // Sealed under another key (rotated without migration): nothing to refresh with.
  if (!tokens) return end(ctx, family);
  if (!isDue(tokens, now)) return 'ok';
  if (!tokens.refreshToken) return tokens.accessExpiresAt <= now && options.accessToken === 'upstream' ? end(ctx, family) : 'ok';
  const result = await upstream!.refresh(tokens, now);
  if (!result.ok) {
    if (result.error === 'invalid_grant') return end(ctx, family);
    options.logger.error(`tokenward: refreshing family ${family.id}'s provider tokens failed; will retry`);
    return tokens.accessExpiresAt > now ? 'ok' : 'unavailable';
  }
  const sealed = await upstream!.box.seal('tokens', { ...result.tokens }, Math.ceil((family.absoluteExpiresAt - now) / 1000));
  // Between here and the rotation only a revocation writes the family; a lost swap means it is gone.
  await store.compareAndSwap({ ...family, version: family.version + 1, upstream: sealed }, family.version);
  return 'ok';
}

async function end(ctx: HandlerContext, family: FamilyRecord): Promise<UpstreamCheck> {
  await ctx.store.revokeFamily(family.id);
  return 'ended';
}

/** The page's access token: one minted by the server half, or (`accessToken: 'upstream'`) the provider's own. */
export async function accessTokenFor(ctx: HandlerContext, family: FamilyRecord): Promise<SignedAccessToken> {
  if (ctx.options.accessToken === 'upstream' && family.upstream !== undefined && ctx.upstream) {
    const tokens = (await ctx.upstream.box.open('tokens', family.upstream)) as UpstreamTokens | undefined;
    if (tokens) {
      const exp = Math.floor(tokens.accessExpiresAt / 1000);
      return { token: tokens.accessToken, exp, expiresIn: Math.max(1, exp - Math.floor(ctx.options.clock() / 1000)) };
    }
  }
  return ctx.keys.sign(family.sub, family.claims, boundKey(family));
}
