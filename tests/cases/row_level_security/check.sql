SELECT count(*) = 100 AND count(*) FILTER (WHERE public) = 50 FROM posts
