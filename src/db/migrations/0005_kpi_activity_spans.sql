CREATE TABLE "kpi_activity_spans" (
	"canonical_id" bigint NOT NULL,
	"project_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"class" text NOT NULL,
	"organisation_id" bigint NOT NULL,
	"activities" integer NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "kpi_activity_spans_key" ON "kpi_activity_spans" USING btree ("canonical_id","project_id","kind","class","organisation_id");--> statement-breakpoint
CREATE INDEX "kpi_activity_spans_first" ON "kpi_activity_spans" USING btree ("first_at");