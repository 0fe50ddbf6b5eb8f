-- MySQL reads \' inside a string as a quote, so this is one string
SELECT 'it\'s; DELETE FROM orders' AS s
