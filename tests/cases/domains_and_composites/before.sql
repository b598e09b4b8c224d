CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TABLE stock (id int PRIMARY KEY, qty positive);
INSERT INTO stock SELECT g, g * 10 FROM generate_series(1, 200) g;
