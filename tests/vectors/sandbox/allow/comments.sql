-- line and block comments around a single SELECT
/* a block comment */ SELECT 1 -- trailing comment
/* another; DELETE FROM t */
