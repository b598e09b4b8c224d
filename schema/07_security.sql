-- Row-level security: the application sets app.user_id for each request.
CREATE FUNCTION current_app_user() RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('app.user_id', true), '')::uuid
$$;

CREATE FUNCTION can_read_conversation(conversation uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT EXISTS (SELECT 1 FROM conversations c WHERE c.id = conversation AND c.owner_id = current_app_user())
        OR EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = conversation AND m.user_id = current_app_user())
$$;

ALTER TABLE conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE files ENABLE ROW LEVEL SECURITY;

CREATE POLICY conversations_read ON conversations FOR SELECT
    USING (can_read_conversation(id));
CREATE POLICY conversations_write_own ON conversations FOR ALL
    USING (owner_id = current_app_user())
    WITH CHECK (owner_id = current_app_user());

CREATE POLICY messages_read ON messages FOR SELECT
    USING (can_read_conversation(conversation_id));
CREATE POLICY messages_insert ON messages FOR INSERT
    WITH CHECK (author_id = current_app_user() AND can_read_conversation(conversation_id));

CREATE POLICY files_owner ON files FOR ALL
    USING (owner_id = current_app_user())
    WITH CHECK (owner_id = current_app_user());

COMMENT ON POLICY messages_insert ON messages IS 'Members may post as themselves only.';
