SELECT (SELECT count(*) FROM audit_base) = 2 AND (SELECT note FROM scratch) = 'kept'
   AND (SELECT string_agg(label, ',' ORDER BY id) FROM hot) = 'Zed,abe'
   AND (SELECT min(label) FROM hot) = 'Zed'
   AND (SELECT extra FROM legacy_child) = 'x' AND (SELECT id::text || note FROM orphan) = '9leaving'
