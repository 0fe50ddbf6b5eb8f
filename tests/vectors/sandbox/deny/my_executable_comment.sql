-- MySQL executes the body of /*! */ although a parser sees a comment
-- rule: deny.executable_comment
SELECT 1 /*! , (SELECT 1 INTO @x) */
