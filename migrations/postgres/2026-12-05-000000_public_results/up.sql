-- The office decides per published version whether it is shown to the public (公示) at
-- /results; a version published before this column existed stays internal until made public.
ALTER TABLE result_snapshots ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX result_snapshots_public ON result_snapshots (public, period_id, version);
