CREATE TABLE parents (id int PRIMARY KEY, code text UNIQUE);
CREATE TABLE children (id int PRIMARY KEY, parent_code text REFERENCES parents(code), qty int CHECK (qty > 0));
INSERT INTO parents VALUES (1, 'p');
INSERT INTO children VALUES (1, 'p', 3);
