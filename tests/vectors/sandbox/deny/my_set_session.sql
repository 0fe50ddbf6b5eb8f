-- turns a session setting off
SET SESSION TRANSACTION READ WRITE
