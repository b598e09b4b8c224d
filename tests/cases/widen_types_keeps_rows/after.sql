CREATE TABLE measures (id bigint PRIMARY KEY, code varchar(50) NOT NULL, amount bigint, ratio numeric(10,2));
