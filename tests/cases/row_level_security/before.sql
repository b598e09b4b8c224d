CREATE TABLE posts (id int PRIMARY KEY, author text NOT NULL, public boolean NOT NULL DEFAULT false);
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON posts USING (author = current_user);
CREATE POLICY stale ON posts FOR DELETE USING (false);
INSERT INTO posts SELECT g, 'author' || (g % 5), g % 2 = 0 FROM generate_series(1, 100) g;
