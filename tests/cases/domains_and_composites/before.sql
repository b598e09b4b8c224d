CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TABLE stock (id int PRIMARY KEY, qty positive);
