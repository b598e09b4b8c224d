SELECT (SELECT count(*) FROM audit_base) = 2 AND (SELECT note FROM scratch) = 'kept'
   AND (SELECT string_agg(label, ',' ORDER BY id) FROM hot) = 'Zed,abe'
   AND (SELECT count(*) FROM hot WHERE label = 'ZED') = 1
   AND (SELECT extra FROM legacy_child) = 'x' AND (SELECT id::text || note FROM orphan) = '9leaving'
