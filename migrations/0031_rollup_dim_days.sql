CREATE TABLE `rollup_dim_days` (
	`tenant_id` text NOT NULL,
	`ancestor_id` text NOT NULL,
	`day` text NOT NULL,
	`dim` text NOT NULL,
	`value` text NOT NULL,
	`segment` text NOT NULL,
	`promoters` integer NOT NULL,
	`passives` integer NOT NULL,
	`detractors` integer NOT NULL,
	`w` real NOT NULL,
	`w2` real NOT NULL,
	`w_promoters` real NOT NULL,
	`w_detractors` real NOT NULL,
	`score_0` integer DEFAULT 0 NOT NULL,
	`score_1` integer DEFAULT 0 NOT NULL,
	`score_2` integer DEFAULT 0 NOT NULL,
	`score_3` integer DEFAULT 0 NOT NULL,
	`score_4` integer DEFAULT 0 NOT NULL,
	`score_5` integer DEFAULT 0 NOT NULL,
	`score_6` integer DEFAULT 0 NOT NULL,
	`score_7` integer DEFAULT 0 NOT NULL,
	`score_8` integer DEFAULT 0 NOT NULL,
	`score_9` integer DEFAULT 0 NOT NULL,
	`score_10` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`tenant_id`) REFERENCES `tenants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rollup_dim_days_cell` ON `rollup_dim_days` (`tenant_id`,`ancestor_id`,`dim`,`day`,`value`,`segment`);--> statement-breakpoint
-- The agent leaves the day cells' key (docs/dimensions.md): cells that differ only by agent become one.
-- An agent id has no spaces, so ' merged' names no agent while the old unique index still stands.
INSERT INTO `rollups` (tenant_id, unit_id, day, touchpoint_id, channel, segment, locale, survey_id, survey_version, vendor_id, agent_id, promoters, passives, detractors, w, w2, w_promoters, w_detractors, score_0, score_1, score_2, score_3, score_4, score_5, score_6, score_7, score_8, score_9, score_10)
  SELECT tenant_id, unit_id, day, touchpoint_id, channel, segment, locale, survey_id, survey_version, vendor_id, ' merged', sum(promoters), sum(passives), sum(detractors), sum(w), sum(w2), sum(w_promoters), sum(w_detractors), sum(score_0), sum(score_1), sum(score_2), sum(score_3), sum(score_4), sum(score_5), sum(score_6), sum(score_7), sum(score_8), sum(score_9), sum(score_10) FROM `rollups` GROUP BY tenant_id, unit_id, day, touchpoint_id, channel, segment, locale, survey_id, survey_version, vendor_id;--> statement-breakpoint
DELETE FROM `rollups` WHERE agent_id <> ' merged';--> statement-breakpoint
DROP INDEX `rollups_cell_actor`;--> statement-breakpoint
CREATE UNIQUE INDEX `rollups_cell_vendor` ON `rollups` (`tenant_id`,`unit_id`,`day`,`touchpoint_id`,`channel`,`segment`,`locale`,`survey_id`,`survey_version`,`vendor_id`);--> statement-breakpoint
ALTER TABLE `rollups` DROP COLUMN `agent_id`;--> statement-breakpoint
CREATE INDEX `responses_tenant_agent_created` ON `responses` (`tenant_id`,`agent_id`,`created_at`) WHERE agent_id is not null;--> statement-breakpoint
-- Agent month totals go: agent scores read the answers themselves.
DELETE FROM `rollup_dim_months` WHERE dim = 'agent';--> statement-breakpoint
-- The dim days of the answers folded so far, from the day cells, for every unit strictly above each cell's unit.
INSERT INTO `rollup_dim_days` (tenant_id, ancestor_id, day, dim, value, segment, promoters, passives, detractors, w, w2, w_promoters, w_detractors, score_0, score_1, score_2, score_3, score_4, score_5, score_6, score_7, score_8, score_9, score_10)
  WITH RECURSIVE above (tenant_id, unit_id, ancestor_id) AS (
    SELECT tenant_id, id, parent_id FROM units WHERE parent_id IS NOT NULL
    UNION ALL
    SELECT a.tenant_id, a.unit_id, u.parent_id FROM above a JOIN units u ON u.tenant_id = a.tenant_id AND u.id = a.ancestor_id WHERE u.parent_id IS NOT NULL
  )
  SELECT c.tenant_id, a.ancestor_id, c.day, d.dim, case d.dim when 'touchpoint' then c.touchpoint_id when 'channel' then c.channel when 'locale' then c.locale when 'vendor' then c.vendor_id end, c.segment, sum(c.promoters), sum(c.passives), sum(c.detractors), sum(c.w), sum(c.w2), sum(c.w_promoters), sum(c.w_detractors), sum(c.score_0), sum(c.score_1), sum(c.score_2), sum(c.score_3), sum(c.score_4), sum(c.score_5), sum(c.score_6), sum(c.score_7), sum(c.score_8), sum(c.score_9), sum(c.score_10)
  FROM `rollups` c JOIN above a ON a.tenant_id = c.tenant_id AND a.unit_id = c.unit_id
  CROSS JOIN (SELECT 'touchpoint' AS dim UNION ALL SELECT 'channel' UNION ALL SELECT 'locale' UNION ALL SELECT 'vendor') d
  GROUP BY c.tenant_id, a.ancestor_id, c.day, d.dim, 5, c.segment;
