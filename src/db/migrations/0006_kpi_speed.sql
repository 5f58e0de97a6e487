-- The review requests get their business days with the next build: emptied here, and kpi_state cleared so
-- that the next refresh rebuilds every rollup.
DELETE FROM "kpi_review_requests";--> statement-breakpoint
ALTER TABLE "kpi_review_requests" ADD COLUMN "requested_business_days" double precision NOT NULL;--> statement-breakpoint
ALTER TABLE "kpi_review_requests" ADD COLUMN "until_business_days" double precision;--> statement-breakpoint
CREATE INDEX "kpi_merge_requests_opened" ON "kpi_merge_requests" USING btree ("class","created_at","first_response_at","merged_at","closed_at","project_id","organisation_id");--> statement-breakpoint
DELETE FROM "kpi_state";
