// Every area owns its tables; this index is what Drizzle and the migrations see.
export * from '../auth/schema.ts';
export * from '../contributions/schema.ts';
export * from '../metrics/schema.ts';
export * from '../people/schema.ts';
export * from '../settings/schema.ts';
export * from '../sources/schema.ts';
