SELECT count(*) = 500
   AND sum(price) = (SELECT sum((i % 100) + 0.5) FROM generate_series(1, 500) AS i)
   AND sum(quantity) = 3 * 125250
   AND bool_and(title = 'item ' || id AND code = 'c' || id)
FROM items
