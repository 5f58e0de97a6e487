import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

// OWASP's minimum for scrypt is N=2^17, r=8, p=1 (about 128 MB and 0.1–0.2 s here). Tests may lower the
// cost with TRIBUTARY_SCRYPT_COST; the stored hash records its own parameters, so it verifies either way.
const cost = () => Number(process.env.TRIBUTARY_SCRYPT_COST ?? 2 ** 17);
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;

export const MIN_PASSWORD_LENGTH = 12;

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64url: a fresh 16-byte salt for every password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const n = cost();
  const hash = await derive(password, salt, n, BLOCK_SIZE, PARALLELISM, KEY_LENGTH);
  return ['scrypt', n, BLOCK_SIZE, PARALLELISM, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p), expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Spends the same time as verifying a real password, so a login for an unknown e-mail cannot be told
 * from a wrong password by how long it takes.
 */
let dummyHash: Promise<string> | undefined;
export async function verifyNothing(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummyHash);
  return false;
}

function derive(password: string, salt: Buffer, n: number, r: number, p: number, length: number): Promise<Buffer> {
  return scryptAsync(password.normalize('NFC'), salt, length, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 });
}

/** A password for someone to change later: 24 characters from a 256-bit-strong alphabet draw. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
