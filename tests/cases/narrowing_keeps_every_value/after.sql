CREATE TABLE items (
    id int PRIMARY KEY,
    title character varying(10) NOT NULL,
    price numeric(10, 1) NOT NULL,
    quantity integer NOT NULL,
    code character varying(5) NOT NULL
);
