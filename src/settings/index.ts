import type { z } from 'zod';
import type { Session } from '../db/connection.ts';

/**
 * Instance-wide settings. Each key has a zod schema; a stored value that no longer parses is an error
 * naming the key and the field, never silently replaced by defaults.
 */
export async function readSetting<Schema extends z.ZodType>(session: Session, key: string, schema: Schema): Promise<z.output<Schema>> {
  const [row] = await session.query<{ value: unknown }>('SELECT value FROM settings WHERE key = $1', [key]);
  const parsed = schema.safeParse(row?.value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SettingsError(`setting "${key}" is invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

export async function writeSetting<Schema extends z.ZodType>(session: Session, key: string, schema: Schema, value: z.input<Schema>): Promise<z.output<Schema>> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SettingsError(`setting "${key}": ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  await session.query(
    `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2::jsonb, now())
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
    [key, JSON.stringify(value)],
  );
  return parsed.data;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}
