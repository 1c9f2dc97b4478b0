"""Money is whole Vietnamese đồng; shown as 1.075.000.000 ₫."""


def format_vnd(amount: int | None, symbol: bool = True) -> str:
    if amount is None or amount == "":
        return ""
    amount = int(amount)
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,}".replace(",", ".")
    return f"{sign}{digits} ₫" if symbol else f"{sign}{digits}"
