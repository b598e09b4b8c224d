CREATE TABLE people (id int PRIMARY KEY, email text);
INSERT INTO people VALUES (1, 'A@example.com');
