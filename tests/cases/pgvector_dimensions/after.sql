-- A model change: 3 dimensions to 4, with its HNSW index, and a halfvec column.
CREATE EXTENSION vector;
CREATE TABLE chunks (id int PRIMARY KEY, body text NOT NULL, embedding vector(4), small halfvec(2));
CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding vector_l2_ops);
