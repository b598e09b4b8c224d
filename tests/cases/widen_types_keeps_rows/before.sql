CREATE TABLE measures (id int PRIMARY KEY, code varchar(10) NOT NULL, amount integer, ratio numeric(6,2));
INSERT INTO measures VALUES (1, 'x1', 2147483647, 1.25), (2, 'y2', -5, NULL);
