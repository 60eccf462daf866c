export {
  TokenwardError,
  isTokenwardError,
  NotSignedInError,
  SessionExpiredError,
  RefreshFailedError,
  InvalidTokenResponseError,
  InvalidJwtError,
  AbortedError,
  ConfigError,
  DisposedError,
} from './errors.js';
export type { ErrorCode, RefreshFailure } from './errors.js';
export type * from './types.js';
