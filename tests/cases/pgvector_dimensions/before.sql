CREATE EXTENSION vector;
CREATE TABLE chunks (id int PRIMARY KEY, body text NOT NULL, embedding vector(3));
CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding vector_l2_ops);
INSERT INTO chunks VALUES (1, 'hello', NULL), (2, 'world', NULL);
