ALTER TABLE `messages` ADD `mentions` text;--> statement-breakpoint
CREATE INDEX `messages_mentions` ON `messages` (`room_id`,`seq`) WHERE mentions IS NOT NULL;