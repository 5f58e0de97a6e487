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
CREATE UNIQUE INDEX "webhook_deliveries_key" ON "webhook_deliveries" USING btree ("delivery_key");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_pending" ON "webhook_deliveries" USING btree ("status") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "activities_object" ON "activities" USING btree ("object_id");