"""MySQL/MariaDB and SQLite built-in functions that are safe to call (data only).

Names are as the user writes them, lower-case. sqlglot parses many of them
into typed nodes (``DATE_FORMAT`` becomes ``TimeToStr``) and loses the
spelling, so each dialect also has the set of sqlglot node keys that the
listed names (and the listed side-effect-free syntax, such as ``CAST`` or
``MATCH ... AGAINST``) parse into. ``tests/sandbox/test_functions.py``
recomputes those key sets from the name lists and fails if they drift, for
example after a sqlglot upgrade.

Left out on purpose (and named in :mod:`conexor.sandbox.functions` with a
reason): anything that sleeps, locks, reads files, waits for replication,
changes session state (``LAST_INSERT_ID(expr)``, sequences) or loads code.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "MYSQL_BUILTIN_FUNCTIONS",
    "MYSQL_SYNTAX_SAMPLES",
    "MYSQL_TYPED_KEYS",
    "SQLITE_BUILTIN_FUNCTIONS",
    "SQLITE_SYNTAX_SAMPLES",
    "SQLITE_TYPED_KEYS",
]

_MYSQL = """
avg bit_and bit_or bit_xor count group_concat json_arrayagg json_objectagg max min std stddev
stddev_pop stddev_samp sum var_pop var_samp variance
cume_dist dense_rank first_value lag last_value lead nth_value ntile percent_rank rank row_number
percentile_cont percentile_disc median
if ifnull nullif coalesce greatest least isnull any_value grouping
ascii bin bit_length char char_length character_length chr concat concat_ws elt export_set field
find_in_set format from_base64 hex insert instr lcase left length locate lower lpad ltrim make_set
mid oct octet_length ord position quote regexp_instr regexp_like regexp_replace regexp_substr
repeat replace reverse right rpad rtrim soundex space strcmp substr substring substring_index
to_base64 trim ucase unhex upper weight_string sformat natural_sort_key
abs acos asin atan atan2 ceil ceiling conv cos cot crc32 degrees exp floor ln log log10 log2 mod pi
pow power radians rand round sign sin sqrt tan truncate
adddate addtime convert_tz curdate current_date current_time current_timestamp curtime date
date_add date_format date_sub datediff day dayname dayofmonth dayofweek dayofyear extract
from_days from_unixtime get_format hour last_day localtime localtimestamp makedate maketime
microsecond minute month monthname now period_add period_diff quarter sec_to_time second
str_to_date subdate subtime sysdate time time_format time_to_sec timediff timestamp timestampadd
timestampdiff to_days to_seconds unix_timestamp utc_date utc_time utc_timestamp week weekday
weekofyear year yearweek
cast convert
json_array json_array_append json_array_insert json_contains json_contains_path json_depth
json_extract json_insert json_keys json_length json_merge json_merge_patch json_merge_preserve
json_object json_overlaps json_pretty json_quote json_remove json_replace json_search json_set
json_type json_unquote json_valid json_value json_query json_exists json_compact json_detailed
json_loose json_normalize json_equals
charset coercibility collation connection_id current_role current_user database schema user
session_user system_user version
uuid inet_aton inet_ntoa inet6_aton inet6_ntoa is_ipv4 is_ipv6 md5 sha sha1 sha2 bit_count
st_astext st_asgeojson st_geomfromtext st_distance st_distance_sphere st_x st_y st_contains
st_within st_intersects point
"""

_SQLITE = """
abs avg char coalesce count date datetime format glob group_concat hex ifnull iif instr json
json_array json_array_length json_each json_extract json_group_array json_group_object
json_insert json_object json_patch json_quote json_remove json_replace json_set json_tree
json_type json_valid julianday length like likelihood likely lower ltrim max min nullif printf
quote random replace round rtrim sign soundex sqlite_version strftime substr substring sum time
total trim typeof unicode unixepoch upper unlikely
cume_dist dense_rank first_value lag last_value lead nth_value ntile percent_rank rank row_number
acos acosh asin asinh atan atan2 atanh ceil ceiling cos cosh degrees exp floor ln log log10 log2
mod pi pow power radians sin sinh sqrt tan tanh trunc
pragma_table_info pragma_table_xinfo pragma_index_list pragma_index_info pragma_foreign_key_list
cast
"""

#: Side-effect-free syntax that sqlglot turns into function nodes without a
#: function name in the text (the keys are collected from these samples).
MYSQL_SYNTAX_SAMPLES: Final = (
    "SELECT CAST(a AS CHAR), CONVERT(a, CHAR), CONVERT(a USING utf8mb4) FROM t",
    "SELECT MATCH(a) AGAINST ('x') FROM t WHERE a SOUNDS LIKE 'x'",
    "SELECT a REGEXP 'x', a RLIKE 'y', a NOT REGEXP 'z', a -> '$.x', a ->> '$.y' FROM t",
    "SELECT DATE_ADD(a, INTERVAL 1 DAY), a + INTERVAL 1 DAY, EXTRACT(YEAR FROM a) FROM t",
    "SELECT SUBSTRING(a FROM 1 FOR 2), TRIM(LEADING 'x' FROM a), CHAR(65 USING utf8mb4) FROM t",
    "SELECT * FROM JSON_TABLE('[1]', '$[*]' COLUMNS (a INT PATH '$')) AS j",
    "SELECT COUNT(DISTINCT a), GROUP_CONCAT(a ORDER BY a SEPARATOR ','), a MOD 2, a DIV 2 FROM t",
    "SELECT CURRENT_DATE, CURRENT_TIME, CURRENT_TIMESTAMP, LOCALTIME, CURRENT_USER FROM t",
    "SELECT CASE WHEN a THEN 1 ELSE 2 END, CASE a WHEN 1 THEN 2 END, EXISTS (SELECT 1),"
    " a AND b, a OR b, a XOR b, NOT a, a IN (1), a BETWEEN 1 AND 2, a IS NULL, a <=> b,"
    " ~a, a ^ b, a & b, a | b, a << 1, a >> 1 FROM t WHERE a LIKE 'x%' AND a NOT LIKE 'y'",
)

SQLITE_SYNTAX_SAMPLES: Final = (
    "SELECT CAST(a AS TEXT), a GLOB 'x*', a LIKE 'x' ESCAPE '!', a -> '$.x', a ->> '$.y' FROM t",
    "SELECT CURRENT_DATE, CURRENT_TIME, CURRENT_TIMESTAMP, COUNT(DISTINCT a) FROM t",
    "SELECT SUBSTRING(a, 1, 2), a REGEXP 'x' FROM t",
    "SELECT CASE WHEN a THEN 1 ELSE 2 END, CASE a WHEN 1 THEN 2 END, EXISTS (SELECT 1),"
    " a AND b, a OR b, NOT a, a IN (1), a BETWEEN 1 AND 2, a IS NULL, a IS NOT b, ~a,"
    " a & b, a | b, a << 1, a >> 1, a || b FROM t WHERE a LIKE 'x%' AND a NOT GLOB 'y'",
)

MYSQL_BUILTIN_FUNCTIONS: Final = frozenset(_MYSQL.split())
SQLITE_BUILTIN_FUNCTIONS: Final = frozenset(_SQLITE.split())

# Generated from the lists and samples above; see the module docstring.
_MYSQL_KEYS = """
abs acos and anyvalue ascii asin atan atan2 avg bitlength bitwiseandagg bitwisecount
bitwiseoragg bitwisexoragg case cast ceil chr coalesce collation concat concatws converttimezone
cos cot count cumedist currentdate currentrole currentschema currenttime currenttimestamp
currentuser currentversion dateadd datediff day dayname dayofmonth dayofweek dayofyear degrees
denserank elt exists exp extract firstvalue floor frombase64 greatest groupconcat grouping hex
hour if jsonarrayappend jsonarrayinsert jsonextract jsonextractscalar jsonkeys jsonobject
jsonobjectagg jsonremove jsonset jsontable jsontype lag lastday lastvalue lead least left length
ln localtime localtimestamp log lower matchagainst max md5 median min minute month nthvalue
ntile nullif numbertostr or pad percentilecont percentiledisc percentrank pi pow quarter radians
rand rank regexpinstr regexplike regexpreplace regexpsubstr repeat replace reverse right round
rownumber second sessionuser sha sha2 sign sin soundex space sqrt stddevpop stddevsamp
stdistance strposition strtodate stuff substring substringindex sum tan time timefromparts
timestamp timestampadd timestampdiff timetostr tobase64 trim trunc tsordstodate
tsordstotimestamp unhex unixtotime upper utcdate utctime utctimestamp uuid variance variancepop
week weekofyear weightstring xor year
"""

_SQLITE_KEYS = """
abs acos acosh and asin asinh atan atan2 atanh avg case cast ceil chr coalesce cos cosh count
cumedist currentdate currenttime currenttimestamp currentversion date degrees denserank exists
exp firstvalue floor format greatest groupconcat hex if jsonarrayagg jsonextract
jsonextractscalar jsonobject jsonobjectagg jsonremove jsonset jsontype lag lastvalue lead least
length ln log lower max min nthvalue ntile nullif or percentrank pi pow radians rand rank
regexplike replace round rownumber sign sin sinh soundex sqrt strposition substring sum tan tanh
timetostr trim trunc tsordstotimestamp typeof unicode upper
"""

MYSQL_TYPED_KEYS: Final = frozenset(_MYSQL_KEYS.split())
SQLITE_TYPED_KEYS: Final = frozenset(_SQLITE_KEYS.split())
