CREATE TABLE lines (id int PRIMARY KEY, qty int NOT NULL, price numeric NOT NULL, total numeric GENERATED ALWAYS AS (qty * price * 1.2) STORED, label text GENERATED ALWAYS AS ('#' || id) STORED);
