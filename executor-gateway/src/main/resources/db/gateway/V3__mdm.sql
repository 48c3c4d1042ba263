-- The MDM command UUID of an attempt delivered through an MDM server: webhooks name it.
ALTER TABLE deliveries ADD COLUMN command_uuid text;
CREATE INDEX deliveries_command_uuid ON deliveries (command_uuid) WHERE command_uuid IS NOT NULL;
