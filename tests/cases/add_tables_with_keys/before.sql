CREATE TABLE existing (id int PRIMARY KEY);
INSERT INTO existing SELECT generate_series(1, 25);
