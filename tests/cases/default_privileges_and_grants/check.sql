SELECT (SELECT count(*) FROM api.tickets) = 1
   AND has_table_privilege('schemaspec_test_writer', 'api.notes', 'INSERT')
   AND has_type_privilege('schemaspec_test_reader', 'api.mood', 'USAGE')
   AND has_function_privilege('schemaspec_test_writer', 'api.close_ticket(int)', 'EXECUTE')
