SELECT count(*) = 20 AND count(happened) = 0 AND count(ref) = 0 AND sum(n) = 210 FROM events
