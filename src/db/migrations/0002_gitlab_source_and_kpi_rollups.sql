CREATE TABLE "kpi_activity_months" (
	"month" date NOT NULL,
	"project_id" bigint NOT NULL,
	"canonical_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"class" text NOT NULL,
	"organisation_id" bigint NOT NULL,
	"activities" integer NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
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
CREATE TABLE "kpi_author_months" (
	"month" date NOT NULL,
	"project_id" bigint NOT NULL,
	"canonical_id" bigint NOT NULL,
	"class" text NOT NULL,
	"organisation_id" bigint NOT NULL,
	"merged" integer NOT NULL,
	"merged_feature" integer NOT NULL,
	"merged_typed" integer NOT NULL,
	"opened" integer NOT NULL,
	"first_merged_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "kpi_canonical" (
	"person_id" bigint PRIMARY KEY NOT NULL,
	"canonical_id" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kpi_changes" (
	"scope" text NOT NULL,
	"id" bigint NOT NULL,
	CONSTRAINT "kpi_changes_scope_id_pk" PRIMARY KEY("scope","id")
);
--> statement-breakpoint
CREATE TABLE "kpi_merge_requests" (
	"merge_request_id" bigint PRIMARY KEY NOT NULL,
	"project_id" bigint NOT NULL,
	"author_id" bigint,
	"canonical_id" bigint,
	"class" text,
	"organisation_id" bigint,
	"contributed_at" timestamp with time zone,
	"created_at" timestamp with time zone,
	"merged_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"open_until" timestamp with time zone,
	"state" text NOT NULL,
	"milestone_id" bigint,
	"milestone_inferred" boolean DEFAULT false NOT NULL,
	"type" text,
	"labelled_community" boolean DEFAULT false NOT NULL,
	"ready_at" timestamp with time zone,
	"first_response_at" timestamp with time zone,
	"first_team_review_at" timestamp with time zone,
	"origin" text NOT NULL
);
--> statement-breakpoint
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
CREATE TABLE "kpi_state" (
	"singleton" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"rules_digest" text NOT NULL,
	"built_at" timestamp with time zone NOT NULL,
	"refreshed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" bigint PRIMARY KEY NOT NULL,
	"delivery_key" text NOT NULL,
	"event" text,
	"body" text NOT NULL,
	"status" text NOT NULL,
	"error" text,
	"received_at" timestamp with time zone NOT NULL,
	"applied_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "kpi_activity_months_key" ON "kpi_activity_months" USING btree ("month","project_id","canonical_id","kind","class","organisation_id");--> statement-breakpoint
CREATE INDEX "kpi_activity_months_canonical" ON "kpi_activity_months" USING btree ("canonical_id");--> statement-breakpoint
CREATE UNIQUE INDEX "kpi_activity_spans_key" ON "kpi_activity_spans" USING btree ("canonical_id","project_id","kind","class","organisation_id");--> statement-breakpoint
CREATE INDEX "kpi_activity_spans_first" ON "kpi_activity_spans" USING btree ("first_at");--> statement-breakpoint
CREATE UNIQUE INDEX "kpi_author_months_key" ON "kpi_author_months" USING btree ("month","project_id","canonical_id","class","organisation_id");--> statement-breakpoint
CREATE INDEX "kpi_author_months_canonical" ON "kpi_author_months" USING btree ("canonical_id");--> statement-breakpoint
CREATE INDEX "kpi_merge_requests_merged" ON "kpi_merge_requests" USING btree ("merged_at");--> statement-breakpoint
CREATE INDEX "kpi_merge_requests_created" ON "kpi_merge_requests" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "kpi_merge_requests_closed" ON "kpi_merge_requests" USING btree ("closed_at");--> statement-breakpoint
CREATE INDEX "kpi_merge_requests_open_until" ON "kpi_merge_requests" USING btree ("open_until");--> statement-breakpoint
CREATE INDEX "kpi_merge_requests_canonical" ON "kpi_merge_requests" USING btree ("canonical_id");--> statement-breakpoint
CREATE INDEX "kpi_merge_requests_author" ON "kpi_merge_requests" USING btree ("author_id");--> statement-breakpoint
CREATE INDEX "kpi_merge_requests_milestone" ON "kpi_merge_requests" USING btree ("milestone_id");--> statement-breakpoint
CREATE INDEX "kpi_merge_requests_ready" ON "kpi_merge_requests" USING btree ("ready_at");--> statement-breakpoint
CREATE INDEX "kpi_review_requests_requested" ON "kpi_review_requests" USING btree ("requested_at");--> statement-breakpoint
CREATE INDEX "kpi_review_requests_reviewer" ON "kpi_review_requests" USING btree ("reviewer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_key" ON "webhook_deliveries" USING btree ("delivery_key");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_pending" ON "webhook_deliveries" USING btree ("status") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "activities_object" ON "activities" USING btree ("object_id");--> statement-breakpoint
CREATE INDEX "comments_author" ON "comments" USING btree ("author_id");--> statement-breakpoint
CREATE INDEX "reviews_reviewer" ON "reviews" USING btree ("reviewer_id");