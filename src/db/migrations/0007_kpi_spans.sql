CREATE TABLE "kpi_author_spans" (
	"canonical_id" bigint NOT NULL,
	"project_id" bigint NOT NULL,
	"class" text NOT NULL,
	"organisation_id" bigint NOT NULL,
	"merged" integer NOT NULL,
	"first_merged_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "kpi_person_spans" ADD COLUMN "first_participation_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "kpi_author_spans_key" ON "kpi_author_spans" USING btree ("canonical_id","project_id","class","organisation_id");--> statement-breakpoint
CREATE INDEX "kpi_person_spans_participation" ON "kpi_person_spans" USING btree ("first_participation_at");--> statement-breakpoint
-- kpi_author_spans and the first participations are filled by the next refresh, which rebuilds every rollup.
DELETE FROM "kpi_state";
