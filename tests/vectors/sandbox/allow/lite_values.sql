-- a VALUES list is a read-only query in SQLite
VALUES (1, 'a'), (2, 'b')
