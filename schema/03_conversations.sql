-- Conversations and who may see them.
CREATE TABLE conversations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id uuid NOT NULL REFERENCES app_users (id) ON DELETE CASCADE,
    title text NOT NULL DEFAULT 'Untitled',
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    archived_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX conversations_by_owner ON conversations (owner_id, updated_at DESC) WHERE archived_at IS NULL;
CREATE INDEX conversations_metadata ON conversations USING gin (metadata jsonb_path_ops);

CREATE TABLE conversation_members (
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES app_users (id) ON DELETE CASCADE,
    role member_role NOT NULL DEFAULT 'viewer',
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id)
);

CREATE INDEX conversation_members_by_user ON conversation_members (user_id);

COMMENT ON TABLE conversation_members IS 'Sharing: who besides the owner can read or edit a conversation.';
