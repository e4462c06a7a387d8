CREATE TABLE `attachments` (
	`id` text PRIMARY KEY NOT NULL,
	`room_id` text NOT NULL,
	`uploader_id` text NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`size` integer NOT NULL,
	`width` integer,
	`height` integer,
	`duration_ms` integer,
	`thumb_key` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`mode` text NOT NULL,
	`upload_id` text,
	`part_size` integer NOT NULL,
	`created_at` integer NOT NULL,
	`message_seq` integer
);
--> statement-breakpoint
CREATE INDEX `attachments_room` ON `attachments` (`room_id`,`message_seq`);--> statement-breakpoint
CREATE INDEX `attachments_pending` ON `attachments` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `reactions` (
	`room_id` text NOT NULL,
	`seq` integer NOT NULL,
	`emoji` text NOT NULL,
	`user_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`room_id`, `seq`, `emoji`, `user_id`)
);
--> statement-breakpoint
ALTER TABLE `messages` ADD `attachments` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `deleted` integer DEFAULT 0 NOT NULL;