-- 'obsolete' removed and the order changed: PostgreSQL cannot do that in place.
CREATE TYPE priority AS ENUM ('urgent', 'normal', 'low');
CREATE TABLE tickets (id int PRIMARY KEY, p priority NOT NULL DEFAULT 'normal', history priority[]);
CREATE VIEW urgent_tickets AS SELECT id FROM tickets WHERE p = 'urgent';
CREATE FUNCTION is_high(x priority) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT x = 'urgent' $$;
