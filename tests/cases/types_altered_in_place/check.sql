SELECT c = 'green' AND (a).street = 'Main St' AND (a).zip = 12345 AND (a).country IS NULL FROM places WHERE id = 1
