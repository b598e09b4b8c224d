CREATE TABLE posts (id int PRIMARY KEY, author text NOT NULL, public boolean NOT NULL DEFAULT false);
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
ALTER TABLE posts FORCE ROW LEVEL SECURITY;
CREATE POLICY own ON posts FOR ALL USING (author = current_user) WITH CHECK (author = current_user);
CREATE POLICY "Readers see public posts" ON posts AS PERMISSIVE FOR SELECT TO PUBLIC USING (public);
CREATE POLICY no_weekend_writes ON posts AS RESTRICTIVE FOR INSERT WITH CHECK (extract(isodow FROM now()) < 6);
COMMENT ON POLICY own ON posts IS 'authors manage their own posts';
