-- The township on PostgreSQL, schema version 4: an item's picture (a small JPEG), as the
-- kiosks keep it.
ALTER TABLE items ADD COLUMN IF NOT EXISTS picture bytea;
