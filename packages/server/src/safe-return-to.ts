/**
 * The path a sign-in may return to: a same-origin path, or `fallback`. Resolved against the app's
 * own origin and kept only if the origin did not change, which refuses `https://evil`, `//evil`,
 * `/\evil` and `/\t/evil` (URL parsing strips tabs and reads `\` as `/`, as browsers do).
 *
 * @example
 * safeReturnTo('/notes?id=1', 'https://app.example.com'); // '/notes?id=1'
 * safeReturnTo('//evil.example', 'https://app.example.com'); // '/'
 */
export function safeReturnTo(value: string | null | undefined, origin: string, fallback = '/'): string {
  if (!value || value.length > 2048 || !value.startsWith('/')) return fallback;
  // Control characters and backslashes are never in a path the app itself links to.
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value, origin);
  } catch {
    return fallback;
  }
  if (url.origin !== new URL(origin).origin) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}
