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

/** One value per normalized key, created on first use; at most `maxKeys`, least recently used out first. */
export interface TokenCache<V> {
  get(key?: TokenKey): V;
  /** Forgets the value for `id` if it is still `value` (a session its user disposed). */
  delete(id: string, value: V): void;
  values(): V[];
  clear(): void;
}

export interface TokenCacheOptions<V> {
  /** Fields a key leaves out take these. */
  defaults?: TokenKey;
  /** Default 1,000. */
  maxKeys?: number;
  /** Called with each value pushed out to stay within `maxKeys`, after it left the cache. */
  evict?: (value: V) => void;
}

interface Entry<V> {
  readonly id: string;
  value: V;
  /** Recency: a serial shared by the whole cache, bumped by `get` and by the value's own `touch`. */
  used: number;
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
 * sorting on the hot path); only an unseen spelling is normalized. `create` gets a `touch` that
 * marks its value used, for uses that bypass `get` (a session kept and called directly).
 * Eviction scans for the least recently used entry: it happens only when a new key arrives.
 */
export function createTokenCache<V>(create: (key: NormalizedKey, touch: () => void) => V, options: TokenCacheOptions<V> = {}): TokenCache<V> {
  const { defaults = {}, maxKeys = 1_000, evict } = options;
  const byId = new Map<string, Entry<V>>();
  // scope -> audience -> resource -> entry, each as the caller spelled it: literal strings hash once.
  let byAlias = new Map<unknown, Map<unknown, Map<unknown, Entry<V>>>>();
  let aliases = 0;
  let fallback: Entry<V> | undefined;
  let serial = 0;

  const forgetAliases = () => {
    byAlias = new Map();
    aliases = 0;
    fallback = undefined;
  };

  const evictOldest = () => {
    let oldest: Entry<V> | undefined;
    for (const entry of byId.values()) if (oldest === undefined || entry.used < oldest.used) oldest = entry;
    byId.delete(oldest!.id);
    forgetAliases();
    evict?.(oldest!.value);
  };

  const resolve = (key: TokenKey | undefined): Entry<V> => {
    const normalized = normalizeKey(key, defaults);
    let entry = byId.get(normalized.id);
    if (entry === undefined) {
      while (byId.size >= maxKeys) evictOldest();
      const created: Entry<V> = { id: normalized.id, value: undefined as V, used: ++serial };
      created.value = create(normalized, () => void (created.used = ++serial));
      byId.set(normalized.id, (entry = created));
    }
    return entry;
  };

  return {
    get(key) {
      let entry = key === undefined ? fallback : byAlias.get(flat(key.scope))?.get(key.audience)?.get(flat(key.resource));
      if (entry === undefined) entry = key === undefined ? (fallback = resolve(undefined)) : remember(key, resolve(key));
      entry.used = ++serial;
      return entry.value;
    },
    delete(id, value) {
      if (byId.get(id)?.value !== value) return;
      byId.delete(id);
      forgetAliases();
    },
    values: () => [...byId.values()].map((entry) => entry.value),
    clear() {
      byId.clear();
      forgetAliases();
    },
  };

  function remember(key: TokenKey, entry: Entry<V>): Entry<V> {
    if (++aliases > maxAliases) {
      byAlias = new Map();
      aliases = 1;
    }
    const scope = flat(key.scope);
    let audiences = byAlias.get(scope);
    if (audiences === undefined) byAlias.set(scope, (audiences = new Map()));
    let resources = audiences.get(key.audience);
    if (resources === undefined) audiences.set(key.audience, (resources = new Map()));
    resources.set(flat(key.resource), entry);
    return entry;
  }
}

function flat(value: string | readonly string[] | undefined): string | undefined {
  return value === undefined || typeof value === 'string' ? value : value.join(' ');
}

function words(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const list = typeof value === 'string' ? value.split(/\s+/) : value.flatMap((item) => item.split(/\s+/));
  return [...new Set(list.filter(Boolean))].sort();
}
