CREATE TYPE priority AS ENUM ('low', 'normal', 'urgent', 'obsolete');
CREATE TABLE tickets (id int PRIMARY KEY, p priority NOT NULL DEFAULT 'normal', history priority[]);
INSERT INTO tickets VALUES (1, 'low', '{low,urgent}'), (2, 'urgent', NULL);
CREATE VIEW urgent_tickets AS SELECT id FROM tickets WHERE p = 'urgent';
CREATE FUNCTION is_high(x priority) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT x = 'urgent' $$;
