-- Regression: PostgreSQL prints `status IN (...)` on a varchar column in a form that
-- reads back as a different constraint; schemaspec must create the constraint as
-- written here, and a second plan must be empty.
CREATE TABLE orders (
    id int PRIMARY KEY,
    status varchar(10) NOT NULL CHECK (status IN ('pending', 'shipped')),
    CONSTRAINT orders_status_not_blank CHECK (status NOT IN ('', ' '))
);
CREATE INDEX orders_open ON orders (id) WHERE status IN ('pending', 'shipped');
