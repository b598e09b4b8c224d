CREATE TABLE items (id int PRIMARY KEY, name text);
INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, NULL);
