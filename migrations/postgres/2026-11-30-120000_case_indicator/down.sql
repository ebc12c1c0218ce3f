ALTER TABLE scheme_versions DROP COLUMN case_indicator_id;
