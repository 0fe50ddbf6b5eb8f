-- text made only of comments is empty
-- rule: deny.empty
/* nothing to run */
