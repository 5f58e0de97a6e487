CREATE TABLE "group_memberships" (
	"id" bigint PRIMARY KEY NOT NULL,
	"person_id" bigint NOT NULL,
	"platform" "platform" NOT NULL,
	"group_path" text NOT NULL,
	"access_level" integer,
	"valid_from" date,
	"valid_to" date,
	"source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity_claims" (
	"identity_id" bigint NOT NULL,
	"person_id" bigint NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "out_of_office" (
	"id" bigint PRIMARY KEY NOT NULL,
	"person_id" bigint NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"note" text
);
--> statement-breakpoint
CREATE TABLE "person_merges" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "person_merges_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"from_person_id" bigint NOT NULL,
	"into_person_id" bigint NOT NULL,
	"reason" text NOT NULL,
	"rule" text,
	"score" real,
	"evidence" jsonb,
	"actor" text NOT NULL,
	"merged_at" timestamp with time zone DEFAULT now() NOT NULL,
	"undone_at" timestamp with time zone,
	"undone_by" text
);
--> statement-breakpoint
CREATE TABLE "person_separations" (
	"person_a" bigint NOT NULL,
	"person_b" bigint NOT NULL,
	"actor" text NOT NULL,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "resolved_identities" (
	"identity_id" bigint PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE TABLE "resolved_people" (
	"person_id" bigint PRIMARY KEY NOT NULL
);
--> statement-breakpoint
ALTER TABLE "commits" ADD COLUMN "authored_zone" text;--> statement-breakpoint
ALTER TABLE "commits" ADD COLUMN "committed_zone" text;--> statement-breakpoint
ALTER TABLE "commits" ADD COLUMN "parents" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "commits" ADD COLUMN "message" text;--> statement-breakpoint
ALTER TABLE "commits" ADD COLUMN "merge_request_id" bigint;--> statement-breakpoint
ALTER TABLE "merge_requests" ADD COLUMN "merged_at_offset" smallint;--> statement-breakpoint
ALTER TABLE "merge_requests" ADD COLUMN "merge_commit_sha" text;--> statement-breakpoint
ALTER TABLE "merge_requests" ADD COLUMN "commit_count" integer;--> statement-breakpoint
ALTER TABLE "merge_requests" ADD COLUMN "authors" jsonb;--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "bot_detected" text;--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "bot_override" boolean;--> statement-breakpoint
ALTER TABLE "team_memberships" ADD COLUMN "capacity" integer;--> statement-breakpoint
CREATE INDEX "group_memberships_person" ON "group_memberships" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "group_memberships_group" ON "group_memberships" USING btree ("platform","group_path");--> statement-breakpoint
CREATE UNIQUE INDEX "identity_claims_pair" ON "identity_claims" USING btree ("identity_id","person_id");--> statement-breakpoint
CREATE INDEX "identity_claims_unresolved" ON "identity_claims" USING btree ("identity_id") WHERE resolved_at IS NULL;--> statement-breakpoint
CREATE INDEX "out_of_office_person" ON "out_of_office" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "person_merges_from" ON "person_merges" USING btree ("from_person_id");--> statement-breakpoint
CREATE INDEX "person_merges_into" ON "person_merges" USING btree ("into_person_id");--> statement-breakpoint
CREATE UNIQUE INDEX "person_separations_pair" ON "person_separations" USING btree ("person_a","person_b");--> statement-breakpoint
CREATE INDEX "person_separations_b" ON "person_separations" USING btree ("person_b");--> statement-breakpoint
CREATE INDEX "identities_kind_value" ON "identities" USING btree ("kind","value_normalised");--> statement-breakpoint
CREATE INDEX "people_merged_into" ON "people" USING btree ("merged_into");--> statement-breakpoint
CREATE VIEW "public"."person_canonical" AS (WITH RECURSIVE walk(person_id, canonical_id, depth) AS (
    SELECT id, id, 0 FROM people WHERE merged_into IS NULL
    UNION ALL
    SELECT p.id, w.canonical_id, w.depth + 1 FROM people p JOIN walk w ON p.merged_into = w.person_id
  ) SELECT person_id, canonical_id, depth FROM walk);