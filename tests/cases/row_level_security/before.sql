CREATE TABLE posts (id int PRIMARY KEY, author text NOT NULL, public boolean NOT NULL DEFAULT false);
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON posts USING (author = current_user);
CREATE POLICY stale ON posts FOR DELETE USING (false);
