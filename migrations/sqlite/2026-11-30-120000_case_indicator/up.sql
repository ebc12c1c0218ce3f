-- The scheme indicator scored from 差评整改 (cases answered on time) instead of ratings.
ALTER TABLE scheme_versions ADD COLUMN case_indicator_id BIGINT REFERENCES indicators (id);
