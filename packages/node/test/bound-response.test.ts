import { describe, expect, it } from 'vitest';
import { BodyTooLargeError, boundResponse, maxBodyBytes } from '../src/bound-response.js';

/** A body of `size` bytes in 1 KiB chunks that counts how many were pulled. */
function counted(size: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= size) return controller.close();
      pulled += 1024;
      controller.enqueue(new Uint8Array(1024).fill(0x61));
    },
  });
  return { stream, pulled: () => pulled };
}

describe('boundResponse', () => {
  it('passes a body of exactly the limit through, with status and headers', async () => {
    const response = boundResponse(new Response(counted(maxBodyBytes).stream, { status: 201, headers: { 'x-a': '1' } }));
    expect(response.status).toBe(201);
    expect(response.headers.get('x-a')).toBe('1');
    expect((await response.text()).length).toBe(maxBodyBytes);
  });

  it('fails one chunk past the limit and stops pulling', async () => {
    const body = counted(10 * maxBodyBytes);
    const error = await boundResponse(new Response(body.stream, { status: 400 })).text().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BodyTooLargeError);
    expect(error).toMatchObject({ status: 400, message: 'the response body is larger than 64 KiB' });
    expect(body.pulled()).toBeLessThanOrEqual(maxBodyBytes + 2 * 1024);
  });

  it('fails before reading when Content-Length says more than the limit', async () => {
    const body = counted(10 * maxBodyBytes);
    const response = new Response(body.stream, { headers: { 'content-length': String(300 * 1024 * 1024) } });
    await expect(boundResponse(response).json()).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(body.pulled()).toBeLessThanOrEqual(1024);
  });

  it('leaves a response without a body as it is', () => {
    const response = new Response(null, { status: 204 });
    expect(boundResponse(response)).toBe(response);
  });
});
