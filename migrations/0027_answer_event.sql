-- Captured answers keep the row id of the event that invited them (src/responses/target.ts,
-- `invitingEvent`): the answers captured before are given theirs, found as capture finds it,
-- through the invitation's source (`event:<event id>`) and the events' (tenant, event id) index.
UPDATE `responses` SET `event_id` = (
  SELECT `e`.`id` FROM `invitations` `i`
  JOIN `events` `e` ON `e`.`tenant_id` = `i`.`tenant_id` AND `e`.`event_id` = substr(`i`.`source`, 7)
  WHERE `i`.`id` = `responses`.`invitation_id` AND `i`.`tenant_id` = `responses`.`tenant_id` AND `i`.`source` LIKE 'event:%'
) WHERE `event_id` IS NULL AND `invitation_id` IS NOT NULL;
