CREATE TABLE "kpi_person_months" (
	"month" date NOT NULL,
	"canonical_id" bigint NOT NULL,
	"class" text NOT NULL,
	"organisation_id" bigint NOT NULL,
	"project_ids" bigint[] NOT NULL,
	"activities" integer NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kpi_person_spans" (
	"canonical_id" bigint NOT NULL,
	"project_id" bigint NOT NULL,
	"class" text NOT NULL,
	"organisation_id" bigint NOT NULL,
	"activities" integer NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "kpi_author_months_canonical";--> statement-breakpoint
DROP INDEX "kpi_merge_requests_open_until";--> statement-breakpoint
ALTER TABLE "kpi_review_requests" ADD COLUMN "author_canonical_id" bigint;--> statement-breakpoint
ALTER TABLE "kpi_review_requests" ADD COLUMN "author_class" text;--> statement-breakpoint
ALTER TABLE "kpi_review_requests" ADD COLUMN "organisation_id" bigint;--> statement-breakpoint
ALTER TABLE "kpi_review_requests" ADD COLUMN "opened_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "kpi_review_requests" ADD COLUMN "ended_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "kpi_person_months_key" ON "kpi_person_months" USING btree ("month","class","canonical_id","organisation_id");--> statement-breakpoint
CREATE INDEX "kpi_person_months_canonical" ON "kpi_person_months" USING btree ("canonical_id");--> statement-breakpoint
CREATE UNIQUE INDEX "kpi_person_spans_key" ON "kpi_person_spans" USING btree ("canonical_id","project_id","class","organisation_id");--> statement-breakpoint
CREATE INDEX "kpi_person_spans_first" ON "kpi_person_spans" USING btree ("first_at");--> statement-breakpoint
CREATE INDEX "kpi_author_months_canonical" ON "kpi_author_months" USING btree ("canonical_id","month","class","project_id","merged","first_merged_at");--> statement-breakpoint
CREATE INDEX "kpi_merge_requests_open_until" ON "kpi_merge_requests" USING btree ("class","open_until","created_at","project_id","organisation_id");--> statement-breakpoint
DROP INDEX "kpi_merge_requests_ready";--> statement-breakpoint
CREATE INDEX "kpi_merge_requests_ready" ON "kpi_merge_requests" USING btree ("class","ready_at","first_team_review_at","project_id","organisation_id");--> statement-breakpoint
-- Existing rollups lack the new tables and columns: forgetting their state makes the next refresh a full build.
DELETE FROM "kpi_state";
