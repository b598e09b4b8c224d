-- Extensions the application relies on.
CREATE EXTENSION IF NOT EXISTS citext;   -- case-insensitive e-mail addresses
CREATE EXTENSION IF NOT EXISTS pg_trgm;  -- trigram search over message text
