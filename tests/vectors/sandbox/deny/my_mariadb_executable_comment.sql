-- MariaDB executes the body of /*M! */
-- rule: deny.executable_comment
SELECT * FROM orders /*M!100100 FOR UPDATE */
