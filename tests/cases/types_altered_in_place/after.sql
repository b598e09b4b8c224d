-- 'grene' renamed in place (rows follow); an attribute dropped and one added on a type a
-- column uses (CASCADE); attributes retyped on a type no column uses.
CREATE TYPE color AS ENUM ('red', 'green', 'blue');
CREATE TYPE address AS (street text, zip int, country text);
CREATE TYPE point3 AS (x bigint, y bigint, z int);
CREATE TABLE places (id int PRIMARY KEY, c color, a address);
