-- The answers stored before comments were analysed (issue 14): every tenant with a comment gets
-- its backfill range, from just before its first commented answer to its newest one, due now
-- (src/comments/backfill.ts analyses them in chunks; answers with an analysis are skipped).
INSERT INTO `comment_backfill` (`tenant_id`, `seq`, `through`, `due_at`, `updated_at`)
SELECT `r`.`tenant_id`, min(`r`.`rowid`) - 1, max(`r`.`rowid`), cast(unixepoch('subsec') * 1000 as integer), cast(unixepoch('subsec') * 1000 as integer)
FROM `responses` `r`
WHERE `r`.`comment` IS NOT NULL AND `r`.`tenant_id` IN (SELECT `id` FROM `tenants`)
GROUP BY `r`.`tenant_id`
ON CONFLICT (`tenant_id`) DO NOTHING;
