CREATE TABLE items (id int PRIMARY KEY, sku text NOT NULL);
INSERT INTO items VALUES (1, 'A-1'), (2, 'B-2');
