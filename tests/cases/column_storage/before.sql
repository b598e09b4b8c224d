CREATE TABLE blobs (id int PRIMARY KEY, payload text, thumb bytea);
ALTER TABLE blobs ALTER COLUMN thumb SET STORAGE MAIN;
INSERT INTO blobs VALUES (1, 'x', '\x00');
