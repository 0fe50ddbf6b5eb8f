-- one statement followed by a semicolon is still one statement
SELECT 1;
