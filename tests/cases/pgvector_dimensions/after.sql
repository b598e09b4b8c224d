-- A model change: 3 dimensions to 4, with its HNSW index; a column moved to halfvec,
-- whose IVFFlat index needs halfvec's operator class; a new halfvec column.
CREATE EXTENSION vector;
CREATE TABLE chunks (id int PRIMARY KEY, body text NOT NULL, embedding vector(4), legacy halfvec(2), small halfvec(2));
CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding vector_l2_ops);
CREATE INDEX chunks_legacy ON chunks USING ivfflat (legacy halfvec_cosine_ops) WITH (lists = 10);
