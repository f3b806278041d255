-- An invitation with a response is answered. Capture writes the response in one statement
-- (no batch, no transaction of its own) and this trigger marks the invitation in the same
-- statement, atomically. Reminders, expiry and the API read `invitations.status`.
CREATE TRIGGER `responses_answer_invitation` AFTER INSERT ON `responses`
WHEN NEW.`invitation_id` IS NOT NULL
BEGIN
  UPDATE `invitations` SET `status` = 'answered', `updated_at` = NEW.`created_at`
  WHERE `tenant_id` = NEW.`tenant_id` AND `id` = NEW.`invitation_id` AND `status` <> 'answered';
END;
