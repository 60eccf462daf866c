import fc from 'fast-check';

/** One megabyte of token-looking text: big enough to hurt a naive parser, built once. */
export const MEGABYTE = 'A'.repeat(1 << 20);

/** Numbers that break arithmetic: huge, tiny, negative, fractional, not finite, not safe. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, 0.5, 1e-9, 1e-300, 1e21, 1e308, Number.MAX_VALUE, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER + 2, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53),
  fc.double(),
  fc.integer(),
);

/** Anything a JavaScript refresher could hand back or throw, JSON or not. */
export const anything: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  fc.jsonValue(),
  fc.anything({ withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true }),
  hostileNumber,
  fc.constantFrom(undefined, null, Symbol('s'), () => 1, MEGABYTE, new Error('plain'), Promise.resolve(1)),
);

/** Strings a token field might hold: plausible tokens, empty, whitespace, control characters, 1 MB. */
export const tokenString: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[\w.~+/-]{1,64}$/),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', ' ', '\n', 'a\u0000b', MEGABYTE, 'x'.repeat(64 * 1024), 'x'.repeat(64 * 1024 + 1)),
);

/** Something a field should not hold: the wrong type, a hostile number, a hostile string. */
const wrong: fc.Arbitrary<unknown> = fc.oneof(fc.jsonValue({ maxDepth: 2 }), hostileNumber, tokenString, fc.constantFrom(undefined, null, true, [], {}));

/**
 * Records that are mostly right: a valid base with up to three fields replaced by something wrong
 * (or removed), plus now and then a record with every field random. Fully random records almost
 * never carry a usable token, so they alone would test only the refusal path.
 */
function mostlyRight(valid: fc.Arbitrary<Record<string, unknown>>, keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const corrupted = fc
    .tuple(valid, fc.uniqueArray(fc.constantFrom(...keys), { maxLength: 3 }), fc.array(wrong, { minLength: 3, maxLength: 3 }))
    .map(([base, fields, values]) => {
      const copy: Record<string, unknown> = { ...base };
      fields.forEach((key, i) => (values[i] === undefined ? delete copy[key] : (copy[key] = values[i])));
      return copy;
    });
  const random = fc.dictionary(fc.constantFrom(...keys), wrong, { maxKeys: keys.length });
  return fc.oneof({ weight: 2, arbitrary: valid }, { weight: 5, arbitrary: corrupted }, { weight: 1, arbitrary: random });
}

/** A `TokenResponse` as a refresher or `signIn` receives it, every field possibly wrong. */
export const tokenResponse: fc.Arbitrary<Record<string, unknown>> = mostlyRight(
  fc.record(
    {
      accessToken: fc.stringMatching(/^[\w.-]{8,40}$/),
      expiresIn: fc.oneof(fc.integer({ min: 1, max: 86_400 }), fc.double({ min: 0.001, max: 1e7, noNaN: true }), fc.constantFrom('300', ' 60 ', '1e3', '0x10')),
      expiresAt: fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 0, 1) }),
      refreshToken: fc.stringMatching(/^[\w-]{8,40}$/),
      scope: fc.string(),
      tokenType: fc.constantFrom('Bearer', 'bearer', 'DPoP', 'MAC'),
      serverDate: fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 0, 1) }),
    },
    { requiredKeys: ['accessToken'] },
  ),
  ['accessToken', 'expiresIn', 'expiresAt', 'refreshToken', 'scope', 'tokenType', 'serverDate'],
);

/** The same as an OAuth JSON body (snake_case), for transports. */
export const tokenBody: fc.Arbitrary<Record<string, unknown>> = mostlyRight(
  fc.record(
    {
      access_token: fc.stringMatching(/^[\w.-]{8,40}$/),
      expires_in: fc.oneof(fc.integer({ min: 1, max: 86_400 }), fc.constantFrom('300')),
      token_type: fc.constantFrom('Bearer', 'bearer'),
      refresh_token: fc.stringMatching(/^[\w-]{8,40}$/),
      scope: fc.stringMatching(/^[\w: ]{0,30}$/),
      error: fc.constantFrom('invalid_grant', 'invalid_client', 'temporarily_unavailable', 'slow_down', 'server_error', '<script>', 'x'.repeat(100)),
    },
    { requiredKeys: ['access_token', 'expires_in', 'token_type'] },
  ),
  ['access_token', 'expires_in', 'token_type', 'refresh_token', 'scope', 'error'],
);

/** A response body as text: JSON of any shape, truncated JSON, HTML error pages, huge, binary. */
export const bodyText: fc.Arbitrary<string> = fc.oneof(
  tokenBody.map((body) => JSON.stringify(body)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  tokenBody.map((body) => JSON.stringify(body).slice(0, -3)),
  fc.constantFrom('', '<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>', '{', 'null', '[]', '"token"', `{"access_token":"${MEGABYTE}","expires_in":60}`),
  fc.string(),
);

/** Only what an HTTP header can carry (the Headers class refuses the rest before any SDK code runs). */
export const isHeaderValue = (value: string) => /^[\t\x20-\x7e\x80-\xff]*$/.test(value);

/** `Retry-After` values: delay-seconds, HTTP dates (past, future, far future), junk, extremes. */
export const retryAfterValue: fc.Arbitrary<string> = fc.oneof(
  fc.nat(100_000).map(String),
  fc.integer({ min: -1e15, max: 1e15 }).map((ms) => new Date(Date.now() + ms).toUTCString()),
  fc.constantFrom('', ' ', '0', '-1', '1.5', '1e3', '+5', '99999999999999999999', '9'.repeat(400), 'Fri, 31 Dec 9999 23:59:59 GMT', 'Thu, 01 Jan 1970 00:00:00 GMT', 'soon', '275760', '0x10', '5, 6'),
  fc.string(),
).filter(isHeaderValue);

/** `WWW-Authenticate` values: valid challenges, several at once, unterminated quotes, junk. */
export const wwwAuthenticateValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'Bearer',
    'Bearer error="invalid_token"',
    'Bearer realm="api", error="invalid_token", error_description="The access token expired"',
    'Bearer error="insufficient_scope", scope="read write"',
    'DPoP algs="ES256", error="use_dpop_nonce"',
    'Basic realm="x", Bearer error="invalid_token"',
    'Bearer error="unterminated',
    'Bearer error=',
    ',,,',
    '=',
    'Bearer error="invalid_client"',
    `Bearer error_description="${MEGABYTE.slice(0, 60_000)}"`,
  ),
  fc.string({ maxLength: 200 }),
  fc.array(fc.stringMatching(/^[\w-]{1,10}$/), { maxLength: 5 }).map((parts) => `Bearer ${parts.map((p, i) => `${p}="${i}"`).join(', ')}`),
).filter(isHeaderValue);
