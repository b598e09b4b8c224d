SELECT payload = 'x' FROM blobs WHERE id = 1
