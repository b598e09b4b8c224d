-- Enumerated types shared by several tables.
CREATE TYPE message_role AS ENUM ('system', 'user', 'assistant', 'tool');

CREATE TYPE file_status AS ENUM ('uploading', 'ready', 'failed', 'deleted');

CREATE TYPE member_role AS ENUM ('owner', 'editor', 'viewer');

COMMENT ON TYPE file_status IS 'Lifecycle of an uploaded file; rows are soft-deleted.';
