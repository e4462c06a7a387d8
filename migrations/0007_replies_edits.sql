ALTER TABLE `messages` ADD `reply_seq` integer;--> statement-breakpoint
ALTER TABLE `messages` ADD `edited_at` integer;