-- bare semicolons are empty
-- rule: deny.empty
;;
