CREATE TABLE parents (id int PRIMARY KEY, code text NOT NULL);
ALTER TABLE parents ADD CONSTRAINT parents_code_key UNIQUE (code) WITH (fillfactor = 90);
CREATE TABLE children (id int PRIMARY KEY, parent_code text REFERENCES parents(code) ON DELETE CASCADE, qty int CHECK (qty >= 0), EXCLUDE USING btree (parent_code WITH =) WHERE (qty > 100));
