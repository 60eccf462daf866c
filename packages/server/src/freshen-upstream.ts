import type { UpstreamTokens } from './create-oidc-upstream.js';
import type { SignedAccessToken } from './create-key-ring.js';
import { randomToken, sha256 } from './crypto.js';
import { provesKey } from './decide-refresh.js';
import { boundKey } from './dpop-binding.js';
import type { HandlerContext } from './handler-context.js';
import type { FamilyRecord } from './refresh-store.js';

/** `ended`: the provider refused (its `invalid_grant`), the family is revoked. `unavailable`: unreachable and the token expired. */
export type UpstreamCheck = 'ok' | 'ended' | 'unavailable';

/** Due when less than min(60 s, half its lifetime) remains: short-lived provider tokens are not refreshed on every call. */
function isDue(tokens: UpstreamTokens, now: number): boolean {
  return tokens.accessExpiresAt - now < Math.min(60_000, tokens.accessLifetimeMs / 2);
}

/** Margin of the lease over the provider request's own timeout: the swap that stores its answer. */
const LEASE_MARGIN_MS = 5_000;
/** How often an instance waiting on another's lease looks at the family again. */
const POLL_MS = 50;

/**
 * Before a rotation of `presented`: refreshes the provider's tokens when its access token is near
 * expiry, and stores them sealed in the family. At most once at a time per family: in this
 * instance (`ctx.upstreamInflight`), and across instances when the store has the upstream lease
 * (`claimUpstream`): the provider rotates its refresh tokens, so a second refresh with the same
 * one would be a reuse there. Only the current token's holder triggers it, with a proof of the
 * family's DPoP key when it has one: a parent in its grace window gets the rotation's answer,
 * never a second provider refresh.
 */
export async function freshenUpstream(ctx: HandlerContext, presented: string, jkt: string | undefined): Promise<UpstreamCheck> {
  if (!ctx.upstream) return 'ok';
  const hash = await sha256(presented);
  const family = await ctx.store.findByToken(hash);
  // A family bound to a DPoP key is refreshed at the provider only for a proof of that key: a copied
  // cookie alone must not spend the provider's refresh token (the rotation then refuses it).
  if (!family?.upstream || family.current !== hash || !provesKey(family, jkt)) return 'ok';
  let running = ctx.upstreamInflight.get(family.id);
  if (!running) {
    running = freshen(ctx, hash, family);
    ctx.upstreamInflight.set(family.id, running);
    void running.finally(() => ctx.upstreamInflight.delete(family.id)).catch(() => undefined);
  }
  return running;
}

async function freshen(ctx: HandlerContext, hash: string, first: FamilyRecord): Promise<UpstreamCheck> {
  const { upstream, options, store } = ctx;
  const leaseMs = upstream!.refreshTimeoutMs + LEASE_MARGIN_MS;
  const holder = randomToken(16);
  // Waiting is bounded too: past two leases something is wrong, and the caller is answered.
  const giveUpAt = options.clock() + 2 * leaseMs;
  let family = first;
  for (;;) {
    const now = options.clock();
    const tokens = (await upstream!.box.open('tokens', family.upstream!)) as UpstreamTokens | undefined;
    // Sealed under another key (rotated without migration): nothing to refresh with.
    if (!tokens) return end(ctx, family);
    if (!isDue(tokens, now)) return 'ok';
    if (!store.claimUpstream || !store.releaseUpstream) return refreshAtProvider(ctx, family, tokens, now);
    if (now >= giveUpAt) return stale(tokens, now);
    let latest: FamilyRecord | undefined;
    if (await store.claimUpstream(family.id, holder, now + leaseMs, now)) {
      try {
        // Another instance may have refreshed between the read and the claim: only an unchanged family is refreshed.
        latest = await store.findByToken(hash);
        if (latest?.version === family.version) return await refreshAtProvider(ctx, family, tokens, now);
      } finally {
        // A release that fails leaves the lease to run out: it is bounded.
        await store.releaseUpstream(family.id, holder).catch(() => undefined);
      }
    } else {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      latest = await store.findByToken(hash);
    }
    // Revoked (the provider refused) or rotated meanwhile: the rotation decides what the caller gets.
    if (!latest?.upstream || latest.current !== hash) return 'ok';
    family = latest;
  }
}

/** Unrefreshed: fine while the provider's access token lasts, else unavailable. */
function stale(tokens: UpstreamTokens, now: number): UpstreamCheck {
  return tokens.accessExpiresAt > now ? 'ok' : 'unavailable';
}

async function refreshAtProvider(ctx: HandlerContext, family: FamilyRecord, tokens: UpstreamTokens, now: number): Promise<UpstreamCheck> {
  const { upstream, options, store } = ctx;
  if (!tokens.refreshToken) return tokens.accessExpiresAt <= now && options.accessToken === 'upstream' ? end(ctx, family) : 'ok';
  const result = await upstream!.refresh(tokens, now);
  if (!result.ok) {
    if (result.error === 'invalid_grant') return end(ctx, family);
    options.logger.error(`tokenward: refreshing family ${family.id}'s provider tokens failed; will retry`);
    return stale(tokens, now);
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
