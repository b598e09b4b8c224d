CREATE TYPE status AS ENUM ('draft', 'new', 'in_progress', 'blocked', 'done', 'archived', 'purged');
CREATE TABLE tasks (id int PRIMARY KEY, s status NOT NULL DEFAULT 'new');
