CREATE TABLE items (
  id int PRIMARY KEY,
  name text,
  price numeric(10,2) NOT NULL DEFAULT 0,
  tags text[] NOT NULL DEFAULT '{}',
  created_at timestamptz DEFAULT now(),
  note text
);
