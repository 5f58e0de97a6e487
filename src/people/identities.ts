import type { Session } from '../db/connection.ts';
import { idText } from '../db/ids.ts';
import { ids, normaliseIdentity } from '../interchange/records.ts';
import { detach } from '../util/strings.ts';

/**
 * How sources meet people. A source never decides who someone is: it names the identities it saw
 * (an e-mail in a commit, a GitLab user id, a GitHub login) and each new identity gets a person of its
 * own, keyed by the identity itself. Identity resolution (src/people/resolve.ts) later links people by
 * pointing `people.merged_into` at the surviving person, so merges are reversible and no activity row
 * is ever rewritten. Because the key is derived from the identity, a source computes person ids
 * without a lookup and can stream its rows with COPY.
 */
export type Platform = 'gitlab' | 'github' | 'git' | 'discord' | 'discourse' | 'reddit' | 'crowdin' | 'email' | 'other';
export type IdentityKind = 'username' | 'email' | 'user_id' | 'name';

export interface IdentitySighting {
  platform: Platform;
  kind: IdentityKind;
  value: string;
  /** The name shown with the identity (commit author name, profile name). */
  displayName?: string | null | undefined;
}

/** `git:email:jane@example.com`: the key of the person first created for an identity. */
export function personKeyOf(identity: Pick<IdentitySighting, 'platform' | 'kind' | 'value'>): string {
  return `${identity.platform}:${identity.kind}:${normaliseIdentity(identity.value)}`;
}

/** The id (as decimal text) of the person first created for an identity. */
export function personIdOf(identity: Pick<IdentitySighting, 'platform' | 'kind' | 'value'>): string {
  return ids.person(personKeyOf(identity));
}

export function identityIdOf(identity: Pick<IdentitySighting, 'platform' | 'kind' | 'value'>): string {
  return idText('identity', identity.platform, identity.kind, normaliseIdentity(identity.value));
}

/**
 * Collects the identities a sync sees, once each, with the person each belongs to. Several sightings
 * may share a person (a GitHub noreply address and the login it carries): `person` names it.
 */
export class IdentityCollector {
  readonly #seen = new Map<string, IdentitySighting & { personKey: string }>();

  /** Records the sighting and returns the person id (decimal text) it belongs to. */
  see(identity: IdentitySighting, person: Pick<IdentitySighting, 'platform' | 'kind' | 'value'> = identity): string {
    const key = `${identity.platform}\u0001${identity.kind}\u0001${normaliseIdentity(identity.value)}`;
    const personKey = personKeyOf(person);
    const known = this.#seen.get(key);
    if (known === undefined) {
      this.#seen.set(detach(key), {
        ...identity,
        value: detach(identity.value),
        displayName: identity.displayName ? detach(identity.displayName) : identity.displayName,
        personKey: detach(personKey),
      });
    } else if (!known.displayName && identity.displayName) known.displayName = detach(identity.displayName);
    return ids.person(personKey);
  }

  get size(): number {
    return this.#seen.size;
  }

  /**
   * Writes the people and identities not yet in the database. Existing rows are left alone: an
   * identity already linked elsewhere (by resolution or by hand) keeps its person. When the sighting
   * put it on another person (a GitLab username seen on user 123's account), that claim is recorded in
   * identity_claims and identity resolution links the two people.
   */
  async save(session: Session): Promise<{ people: number; identities: number }> {
    if (this.#seen.size === 0) return { people: 0, identities: 0 };
    const sightings = [...this.#seen.values()];
    const people = new Map<string, string | null>();
    for (const s of sightings) {
      const name = people.get(s.personKey);
      if (name === undefined || (name === null && s.displayName)) people.set(s.personKey, s.displayName ?? null);
    }
    const personKeys = [...people.keys()];
    const insertedPeople = await session.query(
      `INSERT INTO people (id, key, name)
       SELECT id::int8, key, name FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, key, name)
       ON CONFLICT DO NOTHING RETURNING id`,
      [personKeys.map((key) => ids.person(key)), personKeys, personKeys.map((key) => people.get(key) ?? null)],
    );
    const insertedIdentities = await session.query(
      `INSERT INTO identities (id, platform, kind, value, value_normalised, person_id, display_name)
       SELECT id::int8, platform::platform, kind::identity_kind, value, value_normalised, person_id::int8, display_name
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
           AS u(id, platform, kind, value, value_normalised, person_id, display_name)
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        sightings.map((s) => identityIdOf(s)),
        sightings.map((s) => s.platform),
        sightings.map((s) => s.kind),
        sightings.map((s) => s.value),
        sightings.map((s) => normaliseIdentity(s.value)),
        sightings.map((s) => ids.person(s.personKey)),
        sightings.map((s) => s.displayName ?? null),
      ],
    );
    await session.query(
      `INSERT INTO identity_claims (identity_id, person_id)
       SELECT i.id, u.person_id::int8 FROM unnest($1::text[], $2::text[]) AS u(id, person_id)
         JOIN identities i ON i.id = u.id::int8
        WHERE i.person_id <> u.person_id::int8
       ON CONFLICT DO NOTHING`,
      [sightings.map((s) => identityIdOf(s)), sightings.map((s) => ids.person(s.personKey))],
    );
    return { people: insertedPeople.length, identities: insertedIdentities.length };
  }
}
