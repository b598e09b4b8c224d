-- Messages of a conversation, in order.
CREATE TABLE messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id uuid REFERENCES app_users (id) ON DELETE SET NULL,
    role message_role NOT NULL,
    content text NOT NULL,
    token_count integer CHECK (token_count >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    edited_at timestamptz
);

CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at, id);
CREATE INDEX messages_content_search ON messages USING gin (content gin_trgm_ops);

COMMENT ON COLUMN messages.token_count IS 'Model tokens, filled in for assistant messages.';

-- Latest activity per conversation, for the sidebar.
CREATE VIEW conversation_summaries AS
SELECT c.id,
       c.owner_id,
       c.title,
       count(m.id) AS message_count,
       max(m.created_at) AS last_message_at
FROM conversations c
LEFT JOIN messages m ON m.conversation_id = c.id
WHERE c.archived_at IS NULL
GROUP BY c.id, c.owner_id, c.title;
