# Vietnamese officers write dates as dd/mm/yyyy and group thousands with dots.
DATE_FORMAT = "d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
MONTH_DAY_FORMAT = "d/m"
YEAR_MONTH_FORMAT = "m/Y"
# The portal's own date fields read days with khuyencong/dates.py (any of / . - or a space,
# ddmmyyyy, two-digit years); these are for a plain Django date field, and say the same.
DATE_INPUT_FORMATS = [
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d %m %Y",
    "%d%m%Y",
    "%d/%m/%y",
    "%d.%m.%y",
    "%d-%m-%y",
    "%Y-%m-%d",
]
DATETIME_INPUT_FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
FIRST_DAY_OF_WEEK = 1
