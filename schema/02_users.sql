-- People and their login sessions.
CREATE TABLE app_users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email citext NOT NULL UNIQUE,
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 120),
    avatar_file_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE app_users IS 'Accounts that can sign in.';
COMMENT ON COLUMN app_users.email IS 'Unique regardless of case (citext).';

CREATE TABLE sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES app_users (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    user_agent text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    CONSTRAINT sessions_expiry_after_creation CHECK (expires_at > created_at)
);

-- Only live sessions are looked up by user; revoked ones stay for audit.
CREATE INDEX sessions_active_by_user ON sessions (user_id, expires_at) WHERE revoked_at IS NULL;

COMMENT ON TABLE sessions IS 'Login sessions; the token itself is never stored, only its hash.';
