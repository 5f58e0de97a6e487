/**
 * People: who a contributor is, which organisation they belonged to when, and whether they were team,
 * wider community or a bot at the moment of a contribution. docs/people.md explains the rules.
 *
 * For SQL: `person_canonical` (view: person_id → canonical_id), classificationSql() and
 * affiliationAtSql() are the set-based forms KPIs join.
 */
export { type BotRules, type BotStatus, botRuleSql, botStatus, canonicalBotSql, detectBots, KNOWN_BOTS, setBotOverride } from './bots.ts';
export {
  type Classification,
  type ClassificationRules,
  type ClassificationRulesInput,
  type ClassifiedPair,
  classificationRules,
  classificationRulesSchema,
  classificationSql,
  classify,
  classifyMany,
  classifyMergedMergeRequests,
  type MergedMergeRequestCounts,
} from './classify.ts';
export { findPerson, InputError, membersOf, normaliseName, PeopleError, type PersonRef, type PersonRow, rootsOf } from './common.ts';
export { type CsvRecord, csvLine, parseCsv } from './csv.ts';
export { IdentityCollector, type IdentityKind, type IdentitySighting, identityIdOf, type Platform, personIdOf, personKeyOf } from './identities.ts';
export {
  type MergeOptions,
  type MergeRecord,
  mergeHistory,
  mergePeople,
  separatePeople,
  type UnmergeOptions,
  unmergePeople,
  unseparatePeople,
} from './merge.ts';
export {
  AFFILIATION_PRECEDENCE,
  affiliateFromProfile,
  affiliationAtSql,
  deriveDomainAffiliations,
  domainCandidates,
  type Enrollment,
  enroll,
  exportEnrollmentsCsv,
  exportOrganisationsCsv,
  findOrganisation,
  importEnrollmentsCsv,
  importOrganisationsCsv,
  isPublicMailDomain,
  listOrganisations,
  type Organisation,
  type OrganisationInput,
  organisationAt,
  organisationRootSql,
  saveOrganisations,
} from './organisations.ts';
export { listPeople, type PersonDetails, type PersonSummary, showPerson } from './query.ts';
export { acceptSuggestions, type ResolveOptions, type ResolveStats, resolveIdentities, type Suggestion, suggestMerges } from './resolve.ts';
export {
  COACH_SPECIALTIES,
  type Coach,
  type CoachSpecialty,
  coaches,
  coachSpecialtyOf,
  exportRosterCsv,
  type GroupMemberPayload,
  importGitlabTeam,
  importRosterCsv,
  listRoster,
  type RosterEntry,
  type RosterImportOptions,
  type RosterImportStats,
  rosterAt,
  saveUserProfiles,
  setCapacity,
  setOutOfOffice,
  syncGroupMembers,
  type UserProfilePayload,
} from './roster.ts';
