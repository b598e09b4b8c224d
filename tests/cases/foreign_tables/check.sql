SELECT count(*) = 50 FROM remote.local_notes
