/** The most a response from the authorization server may hold: a token response is a few KiB. */
export const maxBodyBytes = 64 * 1024;

/** A body cut short at `maxBodyBytes`; `toRefreshError` makes it a transient `RefreshFailedError`. */
export class BodyTooLargeError extends Error {
  constructor(readonly status: number) {
    super(`the response body is larger than ${maxBodyBytes / 1024} KiB`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * The same response, with a body that fails past `limit` bytes and cancels the download there:
 * an endless or huge answer costs 64 KiB of memory, not whatever the server sends until the timeout.
 * A `Content-Length` beyond the limit fails before anything is read.
 */
export function boundResponse(response: Response, limit = maxBodyBytes): Response {
  const source = response.body;
  if (source === null) return response;
  const { status, statusText, headers } = response;
  const reader = source.getReader();
  let received = Number(headers.get('content-length')) > limit ? Infinity : 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = received > limit ? undefined : await reader.read();
      if (chunk?.done) return controller.close();
      received += chunk?.value.byteLength ?? 0;
      if (received <= limit) return controller.enqueue(chunk!.value);
      controller.error(new BodyTooLargeError(status));
      await reader.cancel().catch(() => undefined);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(body, { status, statusText, headers });
}
