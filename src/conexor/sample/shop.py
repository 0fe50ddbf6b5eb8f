"""A small, realistic shop database for the demo and the tests, built deterministically.

Standard library only: the names, places and products come from the small
lists below and a ``random.Random(seed)``, so the same seed always gives the
same rows in the same order. The database has primary keys, foreign keys,
indexes and a view, so that introspection and queries have something real to
work on. Money is generated as exact decimals; the columns are declared
``NUMERIC(p, 2)``, which SQLite stores as numbers.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

__all__ = ["CUSTOMERS", "ORDERS", "PRODUCTS", "build_sample_database"]

CUSTOMERS = 500
PRODUCTS = 120
ORDERS = 1500

_FIRST = (
    "Ana",
    "Bruno",
    "Carla",
    "David",
    "Elena",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Karin",
    "Luca",
    "Maya",
    "Nils",
    "Olga",
    "Pedro",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wim",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Amara",
    "Bilal",
    "Chloe",
    "Diego",
    "Emma",
    "Felix",
    "Hana",
    "Ivan",
    "Julia",
    "Kenji",
    "Lena",
    "Marco",
    "Noor",
    "Oscar",
)
_LAST = (
    "Silva",
    "Müller",
    "Rossi",
    "García",
    "Novak",
    "Jensen",
    "Dubois",
    "Kowalski",
    "Smith",
    "Nakamura",
    "Okafor",
    "Larsen",
    "Costa",
    "Schmidt",
    "Moreau",
    "Horvat",
    "Brown",
    "Tanaka",
    "Haddad",
    "Nilsson",
    "Ferreira",
    "Weber",
    "Romano",
    "Martin",
    "Kim",
    "Andersen",
    "Lopez",
    "Fischer",
    "Bianchi",
    "Wilson",
    "Sato",
    "Mensah",
    "Petrov",
    "Ortiz",
    "Walsh",
    "Berg",
)
_PLACES = {
    "Portugal": ("Lisbon", "Porto", "Braga", "Coimbra"),
    "Spain": ("Madrid", "Barcelona", "Valencia", "Seville"),
    "France": ("Paris", "Lyon", "Marseille", "Toulouse"),
    "Germany": ("Berlin", "Hamburg", "Munich", "Cologne"),
    "Italy": ("Rome", "Milan", "Turin", "Naples"),
    "Netherlands": ("Amsterdam", "Rotterdam", "Utrecht"),
    "Denmark": ("Copenhagen", "Aarhus", "Odense"),
    "Poland": ("Warsaw", "Kraków", "Gdańsk"),
    "United Kingdom": ("London", "Manchester", "Edinburgh", "Bristol"),
    "Ireland": ("Dublin", "Cork", "Galway"),
    "United States": ("New York", "Chicago", "Austin", "Seattle", "Boston"),
    "Canada": ("Toronto", "Montreal", "Vancouver"),
    "Japan": ("Tokyo", "Osaka", "Kyoto"),
    "Brazil": ("São Paulo", "Rio de Janeiro", "Curitiba"),
}
# Heavier weight for the shop's home markets, as a real shop would have.
_COUNTRY_WEIGHTS = (14, 10, 9, 12, 7, 6, 3, 5, 9, 3, 8, 4, 3, 4)
_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "inbox.example")
# category: (adjectives, nouns, (lowest, highest) whole-unit price)
_CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[int, int]]] = {
    "Coffee": (
        ("Espresso", "Colombian", "Ethiopian", "Decaf", "House"),
        ("Beans 250g", "Beans 1kg", "Ground 500g", "Capsules x20"),
        (6, 38),
    ),
    "Tea": (
        ("Green", "Earl Grey", "Chamomile", "Sencha", "Rooibos"),
        ("Loose 100g", "Bags x25", "Tin 200g"),
        (4, 24),
    ),
    "Kitchen": (
        ("Steel", "Ceramic", "Glass", "Bamboo", "Copper"),
        ("Mug", "French Press", "Kettle", "Grinder", "Scale", "Dripper"),
        (9, 140),
    ),
    "Books": (
        ("The Art of", "A Short History of", "Notes on", "Mastering"),
        ("Coffee", "Tea", "Baking", "Fermentation", "Slow Mornings"),
        (12, 45),
    ),
    "Snacks": (
        ("Dark", "Salted", "Almond", "Honey", "Oat"),
        ("Chocolate Bar", "Biscuits", "Granola", "Brittle"),
        (2, 12),
    ),
    "Gifts": (
        ("Deluxe", "Starter", "Tasting", "Holiday"),
        ("Gift Box", "Sampler", "Hamper", "Card"),
        (3, 90),
    ),
}
_STATUSES = ("delivered", "shipped", "paid", "pending", "cancelled", "refunded")
_STATUS_WEIGHTS = (62, 12, 8, 6, 8, 4)
_ITEM_COUNTS = (1, 2, 3, 4, 5)
_ITEM_WEIGHTS = (20, 30, 24, 14, 12)
_CENTS_ENDINGS = ("99", "95", "49", "50", "90")

_START = datetime(2023, 1, 1)
_SIGNUP_SPAN = int((datetime(2025, 6, 30) - _START).total_seconds())
_END = datetime(2025, 12, 31, 23, 59, 59)
_CENT = Decimal("0.01")

_DDL = """
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    country TEXT NOT NULL,
    city TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    price NUMERIC(10, 2) NOT NULL CHECK (price >= 0),
    stock INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')),
    ordered_at TIMESTAMP NOT NULL,
    total NUMERIC(12, 2) NOT NULL
);
CREATE TABLE order_items (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders (id),
    product_id INTEGER NOT NULL REFERENCES products (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    unit_price NUMERIC(10, 2) NOT NULL
);
CREATE INDEX idx_products_category ON products (category);
CREATE INDEX idx_orders_customer_id ON orders (customer_id);
CREATE INDEX idx_orders_ordered_at ON orders (ordered_at);
CREATE INDEX idx_order_items_order_id ON order_items (order_id);
CREATE INDEX idx_order_items_product_id ON order_items (product_id);
CREATE VIEW order_totals AS
SELECT o.id AS order_id,
       o.customer_id,
       c.country,
       o.status,
       o.ordered_at,
       COUNT(oi.id) AS item_count,
       COALESCE(SUM(oi.quantity), 0) AS units,
       ROUND(COALESCE(SUM(oi.quantity * oi.unit_price), 0), 2) AS items_total
FROM orders AS o
JOIN customers AS c ON c.id = o.customer_id
LEFT JOIN order_items AS oi ON oi.order_id = o.id
GROUP BY o.id, o.customer_id, c.country, o.status, o.ordered_at;
"""

Row = tuple[object, ...]

# E-mail local parts stay ASCII.
_ASCII = str.maketrans({"ü": "u", "í": "i"})


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _customers(rng: random.Random) -> tuple[list[Row], list[datetime]]:
    countries = list(_PLACES)
    rows: list[Row] = []
    signups: list[datetime] = []
    emails: set[str] = set()
    for i in range(1, CUSTOMERS + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        country = rng.choices(countries, weights=_COUNTRY_WEIGHTS)[0]
        city = rng.choice(_PLACES[country])
        local = f"{first}.{last}".lower().translate(_ASCII)
        email = f"{local}@{rng.choice(_DOMAINS)}"
        n = 2
        while email in emails:
            email = f"{local}{n}@{email.split('@')[1]}"
            n += 1
        emails.add(email)
        created = _START + timedelta(seconds=rng.randrange(_SIGNUP_SPAN))
        signups.append(created)
        rows.append((i, f"{first} {last}", email, country, city, _ts(created)))
    return rows, signups


def _products(rng: random.Random) -> tuple[list[Row], list[Decimal]]:
    names: list[tuple[str, str]] = [
        (category, f"{adj} {noun}")
        for category, (adjectives, nouns, _) in _CATEGORIES.items()
        for adj in adjectives
        for noun in nouns
    ]
    chosen = sorted(rng.sample(range(len(names)), PRODUCTS))
    rows: list[Row] = []
    prices: list[Decimal] = []
    for i, index in enumerate(chosen, start=1):
        category, name = names[index]
        low, high = _CATEGORIES[category][2]
        price = Decimal(f"{rng.randint(low, high)}.{rng.choice(_CENTS_ENDINGS)}")
        prices.append(price)
        sku = f"{category[:3].upper()}-{1000 + i}"
        rows.append((i, sku, name, category, str(price), rng.randrange(0, 400)))
    return rows, prices


def _orders(
    rng: random.Random, signups: Sequence[datetime], prices: Sequence[Decimal]
) -> tuple[list[Row], list[Row]]:
    orders: list[Row] = []
    items: list[Row] = []
    item_id = 0
    for order_id in range(1, ORDERS + 1):
        customer_id = rng.randint(1, len(signups))
        since = signups[customer_id - 1]
        ordered_at = since + timedelta(seconds=rng.randrange(int((_END - since).total_seconds())))
        status = rng.choices(_STATUSES, weights=_STATUS_WEIGHTS)[0]
        count = rng.choices(_ITEM_COUNTS, weights=_ITEM_WEIGHTS)[0]
        total = Decimal(0)
        for product_id in rng.sample(range(1, len(prices) + 1), count):
            quantity = rng.choices((1, 2, 3, 4), weights=(60, 25, 10, 5))[0]
            unit_price = prices[product_id - 1]
            if rng.random() < 0.1:  # an occasional 10% discount
                unit_price = (unit_price * Decimal("0.9")).quantize(_CENT)
            total += quantity * unit_price
            item_id += 1
            items.append((item_id, order_id, product_id, quantity, str(unit_price)))
        orders.append((order_id, customer_id, status, _ts(ordered_at), str(total.quantize(_CENT))))
    return orders, items


def build_sample_database(path: Path, *, seed: int = 7) -> None:
    """Write the sample shop to ``path`` (replacing it), deterministically for ``seed``.

    The file is built beside ``path`` and moved into place, so a reader never
    sees a half-built database.
    """
    rng = random.Random(seed)  # noqa: S311 - sample data, not a secret
    customers, signups = _customers(rng)
    products, prices = _products(rng)
    orders, items = _orders(rng, signups, prices)

    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with contextlib.closing(sqlite3.connect(tmp, isolation_level=None)) as conn:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("BEGIN")
            # One statement at a time: executescript() would commit mid-build.
            for statement in _statements(_DDL):
                conn.execute(statement)
            conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", customers)
            conn.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?, ?)", products)
            conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?)", orders)
            conn.executemany("INSERT INTO order_items VALUES (?, ?, ?, ?, ?)", items)
            conn.execute("COMMIT")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _statements(script: str) -> list[str]:
    """Split the fixed DDL above on ';' (it has no semicolons inside strings)."""
    return [s.strip() for s in script.split(";") if s.strip()]
