SELECT (SELECT count(*) FROM app.events_us) = 100 AND (SELECT count(*) FROM app.event_refs) = 100
