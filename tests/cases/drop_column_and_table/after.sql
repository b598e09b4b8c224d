CREATE TABLE keep (id int PRIMARY KEY, kept text);
