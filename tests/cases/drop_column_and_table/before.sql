CREATE TABLE keep (id int PRIMARY KEY, obsolete text, kept text);
INSERT INTO keep VALUES (1, 'gone', 'stays');
CREATE TABLE gone (id int);
