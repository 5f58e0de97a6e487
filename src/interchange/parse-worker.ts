import { parentPort } from 'node:worker_threads';
import { parseChunk } from './parse.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

parentPort?.on('message', (message: { id: number; firstLine: number; bytes: Uint8Array }) => {
  let text: string;
  try {
    text = decoder.decode(message.bytes);
  } catch {
    parentPort?.postMessage({ id: message.id, parsed: { copies: {}, rowLines: {}, defined: {}, references: [], counts: {}, lines: 0, error: { line: message.firstLine, message: 'not valid UTF-8 (somewhere in this line or the lines after it)' } } });
    return;
  }
  const parsed = parseChunk(text, message.firstLine);
  parentPort?.postMessage({ id: message.id, parsed }, Object.values(parsed.rowLines).map((lines) => lines.buffer as ArrayBuffer));
});
