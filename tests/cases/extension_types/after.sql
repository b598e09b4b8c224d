CREATE EXTENSION citext;
CREATE TABLE people (id int PRIMARY KEY, email citext UNIQUE);
