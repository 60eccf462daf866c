// axios's own URL helpers, which it publishes under `axios/unsafe/*` without types.
declare module 'axios/unsafe/core/buildFullPath.js' {
  export default function buildFullPath(baseURL: string | undefined, requestedURL: string | undefined, allowAbsoluteUrls?: boolean, config?: unknown): string;
}
declare module 'axios/unsafe/helpers/buildURL.js' {
  export default function buildURL(url: string, params?: unknown, options?: unknown): string;
}
