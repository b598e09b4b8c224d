SELECT string_agg(p::text || ':' || coalesce(history::text, '-'), ',' ORDER BY id) = 'low:{low,urgent},urgent:-' AND (SELECT count(*) FROM urgent_tickets) = 1 AND is_high('urgent') FROM tickets
