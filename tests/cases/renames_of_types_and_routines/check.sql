SELECT count(*) = 120 AND count(*) FILTER (WHERE mood = 'calm' AND moods = ARRAY['busy']::app.day_mood[]) = 120 AND sum(load) > 0 FROM app.days
