-- Files uploaded to object storage, optionally attached to a message.
CREATE TABLE files (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id uuid NOT NULL REFERENCES app_users (id) ON DELETE CASCADE,
    conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
    message_id bigint REFERENCES messages (id) ON DELETE SET NULL,
    storage_key text NOT NULL UNIQUE,
    filename text NOT NULL,
    mime_type text NOT NULL DEFAULT 'application/octet-stream',
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    sha256 bytea CHECK (sha256 IS NULL OR length(sha256) = 32),
    status file_status NOT NULL DEFAULT 'uploading',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX files_ready_by_conversation ON files (conversation_id, created_at) WHERE status = 'ready';
CREATE INDEX files_by_owner ON files (owner_id);

-- Declared after files exists: an avatar is a file.
ALTER TABLE app_users
    ADD CONSTRAINT app_users_avatar_file_id_fkey FOREIGN KEY (avatar_file_id) REFERENCES files (id) ON DELETE SET NULL;

COMMENT ON COLUMN files.storage_key IS 'Object key in the bucket; unique across all files.';
