import type { Readable } from 'node:stream';
import { ImportError } from './errors.ts';

export interface LineChunk {
  /** 1-based number of the chunk's first line in the input. */
  firstLine: number;
  /** Whole lines, UTF-8, each ending in '\n' (the last may lack it at end of input). */
  bytes: Uint8Array;
}

const NEWLINE = 0x0a;

/**
 * Cuts a byte stream into chunks of whole lines of roughly `chunkBytes`, numbering them, so the
 * lines can be parsed in parallel and every error still names its line. A line longer than
 * `maxLineBytes` is an error as soon as it is seen: it is never held whole in memory.
 */
export async function* lineChunks(
  input: Readable | AsyncIterable<Uint8Array | string>,
  { chunkBytes = 1 << 20, maxLineBytes = 16 << 20 }: { chunkBytes?: number; maxLineBytes?: number } = {},
): AsyncGenerator<LineChunk> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let chunkFirstLine = 1;
  let completeLinesPending = 0;
  // Bytes since the last newline: the current line's length so far.
  let openLineBytes = 0;

  const take = (bytes: number): Uint8Array => {
    const joined = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return bytes === joined.length ? joined : joined.subarray(0, bytes);
  };

  for await (const raw of input) {
    const block: Uint8Array = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    let lastNewline = -1;
    for (let index = block.indexOf(NEWLINE); index !== -1; index = block.indexOf(NEWLINE, index + 1)) {
      if (openLineBytes + (index - start) > maxLineBytes) {
        throw lineTooLong(chunkFirstLine + completeLinesPending, maxLineBytes);
      }
      openLineBytes = 0;
      start = index + 1;
      completeLinesPending++;
      lastNewline = index;
    }
    openLineBytes += block.length - start;
    if (openLineBytes > maxLineBytes) throw lineTooLong(chunkFirstLine + completeLinesPending, maxLineBytes);

    pending.push(block);
    pendingBytes += block.length;
    if (lastNewline === -1 || pendingBytes < chunkBytes) continue;

    // Yield everything up to the last newline; the partial line after it starts the next chunk.
    const tail = block.subarray(lastNewline + 1);
    const bytes = take(pendingBytes - tail.length);
    yield { firstLine: chunkFirstLine, bytes };
    chunkFirstLine += completeLinesPending;
    completeLinesPending = 0;
    if (tail.length > 0) {
      pending.push(tail);
      pendingBytes = tail.length;
    }
  }
  if (pendingBytes > 0) yield { firstLine: chunkFirstLine, bytes: take(pendingBytes) };
}

function lineTooLong(line: number, maxLineBytes: number): ImportError {
  return new ImportError(`longer than the limit of ${maxLineBytes} bytes`, { line });
}
