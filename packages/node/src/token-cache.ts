/**
 * What a token is for. Two keys that differ only in scope order or duplicates are the same key.
 * @example
 * tokens.session({ scope: 'b a' }) === tokens.session({ scope: ['a', 'b', 'a'] }); // true
 */
export interface TokenKey {
  /** Space-separated, or a list. */
  scope?: string | readonly string[];
  audience?: string;
  /** RFC 8707 resource indicators. */
  resource?: string | readonly string[];
}

/** A key in canonical form; `id` is its identity. */
export interface NormalizedKey {
  readonly id: string;
  readonly scope: string | undefined;
  readonly audience: string | undefined;
  readonly resource: readonly string[];
}

/** One value per normalized key, created on first use. */
export interface TokenCache<V> {
  get(key?: TokenKey): V;
  values(): V[];
  clear(): void;
}

const separator = '\u0000';
const maxAliases = 1_024;

/** Sorted, deduplicated, whitespace-normalized; a field the caller leaves out takes the default. */
export function normalizeKey(key: TokenKey = {}, defaults: TokenKey = {}): NormalizedKey {
  const scopeList = words(key.scope !== undefined ? key.scope : defaults.scope);
  const scope = scopeList.length > 0 ? scopeList.join(' ') : undefined;
  const audience = (key.audience !== undefined ? key.audience : defaults.audience)?.trim() || undefined;
  const resource = words(key.resource !== undefined ? key.resource : defaults.resource);
  return { id: [scope ?? '', audience ?? '', resource.join(' ')].join(separator), scope, audience, resource };
}

/**
 * The map behind `session(key)`. Lookups first try the caller's key exactly as given (no
 * sorting on the hot path); only an unseen spelling is normalized.
 */
export function createTokenCache<V>(create: (key: NormalizedKey) => V, defaults: TokenKey = {}): TokenCache<V> {
  const byId = new Map<string, V>();
  // scope -> audience -> resource -> value, each as the caller spelled it: literal strings hash once.
  let byAlias = new Map<unknown, Map<unknown, Map<unknown, V>>>();
  let aliases = 0;
  let fallback: V | undefined;

  const resolve = (key: TokenKey | undefined): V => {
    const normalized = normalizeKey(key, defaults);
    let value = byId.get(normalized.id);
    if (value === undefined) {
      value = create(normalized);
      byId.set(normalized.id, value);
    }
    return value;
  };

  return {
    get(key) {
      if (key === undefined) return (fallback ??= resolve(undefined));
      const scope = flat(key.scope);
      const resource = flat(key.resource);
      const cached = byAlias.get(scope)?.get(key.audience)?.get(resource);
      if (cached !== undefined) return cached;
      const value = resolve(key);
      if (++aliases > maxAliases) {
        byAlias = new Map();
        aliases = 1;
      }
      let audiences = byAlias.get(scope);
      if (audiences === undefined) byAlias.set(scope, (audiences = new Map()));
      let resources = audiences.get(key.audience);
      if (resources === undefined) audiences.set(key.audience, (resources = new Map()));
      resources.set(resource, value);
      return value;
    },
    values: () => [...byId.values()],
    clear() {
      byId.clear();
      byAlias = new Map();
      aliases = 0;
      fallback = undefined;
    },
  };
}

function flat(value: string | readonly string[] | undefined): string | undefined {
  return value === undefined || typeof value === 'string' ? value : value.join(' ');
}

function words(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? value.split(/\s+/) : value.flatMap((item) => item.split(/\s+/));
  return [...new Set(list.filter(Boolean))].sort();
}
