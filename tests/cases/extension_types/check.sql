SELECT email = 'a@EXAMPLE.com' FROM people WHERE id = 1
