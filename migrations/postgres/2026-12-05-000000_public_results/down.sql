DROP INDEX result_snapshots_public;
ALTER TABLE result_snapshots DROP COLUMN public;
