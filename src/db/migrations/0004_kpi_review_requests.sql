CREATE TABLE "kpi_review_requests" (
	"merge_request_id" bigint NOT NULL,
	"project_id" bigint NOT NULL,
	"reviewer_id" bigint NOT NULL,
	"reviewer_canonical_id" bigint NOT NULL,
	"reviewer_class" text NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"responded_at" timestamp with time zone,
	CONSTRAINT "kpi_review_requests_merge_request_id_reviewer_id_requested_at_pk" PRIMARY KEY("merge_request_id","reviewer_id","requested_at")
);
--> statement-breakpoint
CREATE INDEX "kpi_review_requests_requested" ON "kpi_review_requests" USING btree ("requested_at");--> statement-breakpoint
CREATE INDEX "kpi_review_requests_reviewer" ON "kpi_review_requests" USING btree ("reviewer_id");--> statement-breakpoint
CREATE INDEX "kpi_merge_requests_milestone" ON "kpi_merge_requests" USING btree ("milestone_id");--> statement-breakpoint
CREATE INDEX "kpi_merge_requests_ready" ON "kpi_merge_requests" USING btree ("ready_at");