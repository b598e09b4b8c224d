CREATE TYPE color AS ENUM ('red', 'grene', 'blue');
CREATE TYPE address AS (street text, zip int, legacy text);
CREATE TYPE point3 AS (x int, y int, z int);
CREATE TABLE places (id int PRIMARY KEY, c color, a address);
INSERT INTO places VALUES (1, 'grene', ROW('Main St', 12345, 'x'));
