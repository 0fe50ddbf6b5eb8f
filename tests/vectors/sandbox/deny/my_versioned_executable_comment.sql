-- a versioned executable comment can add FOR UPDATE unseen
-- rule: deny.executable_comment
SELECT * FROM orders /*!50000 FOR UPDATE */
