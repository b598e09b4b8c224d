CREATE TYPE status AS ENUM ('new', 'done');
CREATE TABLE tasks (id int PRIMARY KEY, s status NOT NULL DEFAULT 'new');
INSERT INTO tasks VALUES (1, 'new'), (2, 'done');
