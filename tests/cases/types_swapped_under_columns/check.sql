SELECT count(*) = 2
   AND (SELECT (total).cents = 1250 AND history[1] = ('USD', 1)::money_amount AND (ship_to).city = 'Springfield'
               AND (ship_to).street = '1 Main St' AND (ship_to).country IS NULL AND valid = '[2,5)'::int_span
               AND qty = 7 AND spread = '[1.5,2.5]'::float_span FROM orders WHERE id = 1)
   AND (SELECT total IS NULL AND history IS NULL AND (ship_to).city = 'Shelbyville' AND valid IS NULL FROM orders WHERE id = 2)
   AND (SELECT cents = 1250 FROM order_totals WHERE id = 1)
FROM orders
