CREATE TABLE orders (id int PRIMARY KEY, status varchar(10) NOT NULL);
INSERT INTO orders VALUES (1, 'pending');
