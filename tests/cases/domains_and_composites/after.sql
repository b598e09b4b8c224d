CREATE DOMAIN positive AS integer NOT NULL DEFAULT 1 CONSTRAINT positive_check CHECK (VALUE > 0) CONSTRAINT positive_cap CHECK (VALUE < 1000000);
CREATE TYPE money_amount AS (currency char(3), cents bigint);
CREATE TYPE int_range AS RANGE (subtype = integer);
CREATE TABLE stock (id int PRIMARY KEY, qty positive, price money_amount, window_ int_range);
