CREATE TABLE accounts (id int NOT NULL, email text NOT NULL);
CREATE UNIQUE INDEX accounts_email_key ON accounts (email);
ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE USING INDEX accounts_email_key;
CREATE UNIQUE INDEX accounts_pkey ON accounts (id);
ALTER TABLE accounts ADD CONSTRAINT accounts_pkey PRIMARY KEY USING INDEX accounts_pkey;
