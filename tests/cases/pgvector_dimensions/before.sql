CREATE EXTENSION vector;
CREATE TABLE chunks (id int PRIMARY KEY, body text NOT NULL, embedding vector(3), legacy vector(2));
CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding vector_l2_ops);
CREATE INDEX chunks_legacy ON chunks USING ivfflat (legacy vector_cosine_ops) WITH (lists = 10);
INSERT INTO chunks VALUES (1, 'hello', NULL, '[1,2]'), (2, 'world', NULL, '[3,4]');
