export { createClientCredentials } from './create-client-credentials.js';
export type { ClientCredentials, ClientCredentialsOptions, ClientTokenOptions } from './create-client-credentials.js';
export { createSelfSignedTokens } from './create-self-signed-tokens.js';
export type { SelfSignedTokens, SelfSignedTokensOptions } from './create-self-signed-tokens.js';
export { createKeyProvider, createStaticKeyProvider } from './create-key-provider.js';
export type { KeyProvider, KeyProviderOptions, SigningKeyPair } from './create-key-provider.js';
export type { ClientAuthMethod, PrivateKeyInput } from './client-auth.js';
export type { TokenKey } from './token-cache.js';
