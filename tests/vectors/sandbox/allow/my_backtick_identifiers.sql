-- MySQL quotes identifiers with backticks
SELECT `id`, `name` FROM `customers`
