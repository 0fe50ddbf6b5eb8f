-- a VALUES list is a read-only query
VALUES (1, 'a'), (2, 'b')
