CREATE TYPE "public"."activity_kind" AS ENUM('mr_opened', 'mr_merged', 'mr_closed', 'mr_reviewed', 'mr_approved', 'mr_commented', 'issue_opened', 'issue_closed', 'issue_commented', 'commit_authored', 'commit_co_authored', 'chat_message', 'chat_reply', 'forum_post', 'forum_reply', 'translation', 'event_talk');--> statement-breakpoint
CREATE TYPE "public"."issue_state" AS ENUM('opened', 'closed');--> statement-breakpoint
CREATE TYPE "public"."label_action" AS ENUM('add', 'remove');--> statement-breakpoint
CREATE TYPE "public"."merge_request_state" AS ENUM('opened', 'merged', 'closed', 'locked');--> statement-breakpoint
CREATE TYPE "public"."object_type" AS ENUM('merge_request', 'issue', 'comment', 'review', 'commit', 'message', 'other');--> statement-breakpoint
CREATE TYPE "public"."record_origin" AS ENUM('api', 'git', 'import');--> statement-breakpoint
CREATE TYPE "public"."review_kind" AS ENUM('review_requested', 'reviewed', 'approved', 'unapproved');--> statement-breakpoint
CREATE TYPE "public"."target_type" AS ENUM('merge_request', 'issue', 'commit');--> statement-breakpoint
CREATE TYPE "public"."identity_kind" AS ENUM('username', 'email', 'user_id', 'name');--> statement-breakpoint
CREATE TYPE "public"."platform" AS ENUM('gitlab', 'github', 'git', 'discord', 'discourse', 'reddit', 'crowdin', 'email', 'other');--> statement-breakpoint
CREATE TYPE "public"."source_kind" AS ENUM('git', 'gitlab', 'github', 'import');--> statement-breakpoint
CREATE TABLE "activities" (
	"id" bigint PRIMARY KEY NOT NULL,
	"kind" "activity_kind" NOT NULL,
	"person_id" bigint NOT NULL,
	"project_id" bigint,
	"occurred_at" timestamp with time zone NOT NULL,
	"object_type" "object_type",
	"object_id" bigint,
	"object_ref" text,
	"object_project_id" bigint,
	"attributes" jsonb
);
--> statement-breakpoint
CREATE TABLE "comments" (
	"id" bigint PRIMARY KEY NOT NULL,
	"project_id" bigint NOT NULL,
	"target_type" "target_type" NOT NULL,
	"target_ref" text NOT NULL,
	"external_id" text NOT NULL,
	"author_id" bigint,
	"created_at" timestamp with time zone NOT NULL,
	"system" boolean DEFAULT false NOT NULL,
	"body" text
);
--> statement-breakpoint
CREATE TABLE "commits" (
	"id" bigint PRIMARY KEY NOT NULL,
	"project_id" bigint NOT NULL,
	"sha" text NOT NULL,
	"author_name" text,
	"author_email" text,
	"authored_at" timestamp with time zone,
	"committer_name" text,
	"committer_email" text,
	"committed_at" timestamp with time zone,
	"co_authors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"author_id" bigint,
	"merge_request_number" integer,
	"subject" text
);
--> statement-breakpoint
CREATE TABLE "issues" (
	"id" bigint PRIMARY KEY NOT NULL,
	"project_id" bigint NOT NULL,
	"number" integer NOT NULL,
	"external_id" text,
	"title" text NOT NULL,
	"state" "issue_state" NOT NULL,
	"author_id" bigint,
	"created_at" timestamp with time zone,
	"updated_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"labels" text[] DEFAULT '{}'::text[] NOT NULL,
	"milestone_id" bigint,
	"assignee_ids" bigint[] DEFAULT '{}'::bigint[] NOT NULL,
	"weight" integer,
	"web_url" text,
	"origin" "record_origin" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "label_events" (
	"id" bigint PRIMARY KEY NOT NULL,
	"project_id" bigint NOT NULL,
	"target_type" "target_type" NOT NULL,
	"target_ref" text NOT NULL,
	"label" text NOT NULL,
	"action" "label_action" NOT NULL,
	"actor_id" bigint,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "merge_requests" (
	"id" bigint PRIMARY KEY NOT NULL,
	"project_id" bigint NOT NULL,
	"number" integer NOT NULL,
	"external_id" text,
	"title" text NOT NULL,
	"state" "merge_request_state" NOT NULL,
	"author_id" bigint,
	"created_at" timestamp with time zone,
	"updated_at" timestamp with time zone,
	"merged_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"merged_by_id" bigint,
	"labels" text[] DEFAULT '{}'::text[] NOT NULL,
	"milestone_id" bigint,
	"type" text,
	"draft" boolean DEFAULT false NOT NULL,
	"ready_for_review_at" timestamp with time zone,
	"first_review_at" timestamp with time zone,
	"reviewer_ids" bigint[] DEFAULT '{}'::bigint[] NOT NULL,
	"assignee_ids" bigint[] DEFAULT '{}'::bigint[] NOT NULL,
	"linked_issues" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"source_branch" text,
	"target_branch" text,
	"on_default_branch" boolean,
	"web_url" text,
	"origin" "record_origin" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "milestones" (
	"id" bigint PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"title" text NOT NULL,
	"start_date" date,
	"due_date" date,
	"released_at" timestamp with time zone,
	"state" text,
	"external_id" text
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" bigint PRIMARY KEY NOT NULL,
	"platform" "platform" NOT NULL,
	"external_id" text,
	"path" text NOT NULL,
	"name" text,
	"web_url" text,
	"default_branch" text,
	"monitored" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reviews" (
	"id" bigint PRIMARY KEY NOT NULL,
	"merge_request_id" bigint NOT NULL,
	"reviewer_id" bigint NOT NULL,
	"kind" "review_kind" NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "affiliations" (
	"id" bigint PRIMARY KEY NOT NULL,
	"person_id" bigint NOT NULL,
	"organisation_id" bigint NOT NULL,
	"valid_from" date,
	"valid_to" date,
	"source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identities" (
	"id" bigint PRIMARY KEY NOT NULL,
	"platform" "platform" NOT NULL,
	"kind" "identity_kind" NOT NULL,
	"value" text NOT NULL,
	"value_normalised" text NOT NULL,
	"person_id" bigint NOT NULL,
	"verified" boolean DEFAULT false NOT NULL,
	"display_name" text
);
--> statement-breakpoint
CREATE TABLE "organisations" (
	"id" bigint PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"domains" text[] DEFAULT '{}'::text[] NOT NULL,
	"arr" numeric,
	"parent_id" bigint,
	CONSTRAINT "organisations_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "people" (
	"id" bigint PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"name" text,
	"is_bot" boolean DEFAULT false NOT NULL,
	"country" text,
	"timezone" text,
	"merged_into" bigint,
	CONSTRAINT "people_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE TABLE "team_memberships" (
	"id" bigint PRIMARY KEY NOT NULL,
	"person_id" bigint NOT NULL,
	"valid_from" date,
	"valid_to" date,
	"title" text,
	"department" text,
	"roles" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "raw_records" (
	"id" bigint PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"endpoint" text NOT NULL,
	"external_id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sources" (
	"id" bigint PRIMARY KEY NOT NULL,
	"kind" "source_kind" NOT NULL,
	"name" text NOT NULL,
	"config" jsonb NOT NULL,
	"cursor" jsonb,
	"last_started_at" timestamp with time zone,
	"last_finished_at" timestamp with time zone,
	"last_error" text,
	"last_stats" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sources_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE INDEX "activities_person_time" ON "activities" USING btree ("person_id","occurred_at");--> statement-breakpoint
CREATE INDEX "comments_target" ON "comments" USING btree ("project_id","target_type","target_ref");--> statement-breakpoint
CREATE UNIQUE INDEX "commits_natural" ON "commits" USING btree ("project_id","sha");--> statement-breakpoint
CREATE INDEX "commits_merge_request" ON "commits" USING btree ("project_id","merge_request_number");--> statement-breakpoint
CREATE UNIQUE INDEX "issues_natural" ON "issues" USING btree ("project_id","number");--> statement-breakpoint
CREATE INDEX "issues_author" ON "issues" USING btree ("author_id");--> statement-breakpoint
CREATE INDEX "label_events_target" ON "label_events" USING btree ("project_id","target_type","target_ref");--> statement-breakpoint
CREATE UNIQUE INDEX "merge_requests_natural" ON "merge_requests" USING btree ("project_id","number");--> statement-breakpoint
CREATE INDEX "merge_requests_author" ON "merge_requests" USING btree ("author_id");--> statement-breakpoint
CREATE INDEX "merge_requests_merged_at" ON "merge_requests" USING btree ("merged_at");--> statement-breakpoint
CREATE UNIQUE INDEX "milestones_natural" ON "milestones" USING btree ("scope","title");--> statement-breakpoint
CREATE UNIQUE INDEX "projects_natural" ON "projects" USING btree ("platform","path");--> statement-breakpoint
CREATE INDEX "reviews_merge_request" ON "reviews" USING btree ("merge_request_id");--> statement-breakpoint
CREATE INDEX "affiliations_person" ON "affiliations" USING btree ("person_id");--> statement-breakpoint
CREATE UNIQUE INDEX "identities_natural" ON "identities" USING btree ("platform","kind","value_normalised");--> statement-breakpoint
CREATE INDEX "identities_person" ON "identities" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "team_memberships_person" ON "team_memberships" USING btree ("person_id");--> statement-breakpoint
CREATE UNIQUE INDEX "raw_records_natural" ON "raw_records" USING btree ("source","endpoint","external_id");