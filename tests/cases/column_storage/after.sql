-- payload moves out of line uncompressed, thumb goes back to its type's default, a new
-- column starts as MAIN.
CREATE TABLE blobs (id int PRIMARY KEY, payload text, thumb bytea, preview text);
ALTER TABLE blobs ALTER COLUMN payload SET STORAGE EXTERNAL;
ALTER TABLE blobs ALTER COLUMN preview SET STORAGE MAIN;
CREATE TABLE fresh (id int, note text);
ALTER TABLE fresh ALTER COLUMN note SET STORAGE PLAIN;
