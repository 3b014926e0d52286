-- Schema version 4: an item's picture (issue 16), a small JPEG drawn on its tile. It
-- travels inside the item's record, so every kiosk of the village shows the same bytes.
ALTER TABLE catalogue ADD COLUMN picture BLOB;
