ALTER TABLE "commits" ADD COLUMN "authored_zone" text;--> statement-breakpoint
ALTER TABLE "commits" ADD COLUMN "committed_zone" text;--> statement-breakpoint
ALTER TABLE "commits" ADD COLUMN "parents" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "commits" ADD COLUMN "message" text;--> statement-breakpoint
ALTER TABLE "commits" ADD COLUMN "merge_request_id" bigint;--> statement-breakpoint
ALTER TABLE "merge_requests" ADD COLUMN "merged_at_offset" smallint;--> statement-breakpoint
ALTER TABLE "merge_requests" ADD COLUMN "merge_commit_sha" text;--> statement-breakpoint
ALTER TABLE "merge_requests" ADD COLUMN "commit_count" integer;--> statement-breakpoint
ALTER TABLE "merge_requests" ADD COLUMN "authors" jsonb;