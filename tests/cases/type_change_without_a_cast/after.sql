CREATE TABLE events (id int PRIMARY KEY, happened timestamp, ref integer, n bigint);
