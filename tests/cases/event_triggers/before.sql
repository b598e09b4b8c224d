CREATE FUNCTION audit_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'ddl: %', tg_tag; END $$;
CREATE EVENT TRIGGER log_ddl ON ddl_command_end EXECUTE FUNCTION audit_ddl();
CREATE EVENT TRIGGER old_guard ON sql_drop EXECUTE FUNCTION audit_ddl();
