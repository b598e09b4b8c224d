CREATE FUNCTION audit_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'ddl: %', tg_tag; END $$;
CREATE EVENT TRIGGER log_ddl ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE') EXECUTE FUNCTION audit_ddl();
CREATE EVENT TRIGGER watch_rewrites ON table_rewrite EXECUTE FUNCTION audit_ddl();
ALTER EVENT TRIGGER watch_rewrites DISABLE;
COMMENT ON EVENT TRIGGER log_ddl IS 'logs table DDL';
