"""A generated product catalogue: names, SKU codes, EAN-13 barcodes, weights and prices.

Each category lists the kinds of item it sells with the materials or features that make
sense for that item, a weight range in grams and a shelf-price range in dollars, so a
generated "Trailblazer Waterproof Hiking Boot" weighs and costs what a hiking boot does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from omnigraph.demo.rows import ProductRow

# GS1 company prefix 0614141 is the one GS1 uses in its own worked examples: the codes are
# well formed and belong to nobody. Each prefix leaves five digits of item reference.
GS1_COMPANY_PREFIX = 614_141
ITEMS_PER_PREFIX = 100_000


@dataclass(frozen=True, slots=True)
class ItemKind:
    noun: str
    features: tuple[str, ...]
    grams: tuple[int, int]
    dollars: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    prefix: str
    share: float
    # How many units a store keeps of a typical item, relative to apparel.
    depth: float
    lines: tuple[str, ...]
    variants: tuple[str, ...]
    kinds: tuple[ItemKind, ...]


def _kinds(table: str) -> tuple[ItemKind, ...]:
    """Parse ``noun | grams low-high | dollars low-high | feature, feature, ...`` lines."""
    kinds = []
    for line in table.strip().splitlines():
        noun, grams, dollars, features = (cell.strip() for cell in line.split("|"))
        low_g, high_g = (int(n) for n in grams.split("-"))
        low_d, high_d = (int(n) for n in dollars.split("-"))
        names = tuple(feature.strip() for feature in features.split(","))
        kinds.append(ItemKind(noun, names, (low_g, high_g), (low_d, high_d)))
    return tuple(kinds)


# noun | grams low-high | shelf price in dollars low-high | materials or features
_APPAREL = """
T-Shirt             | 140-240   | 15-35   | Organic Cotton, Slub Cotton, Pima Cotton, Recycled
Crewneck Sweater    | 320-560   | 45-120  | Merino, Cashmere Blend, Cotton Cable, Lambswool
Hoodie              | 480-760   | 40-85   | Fleece, French Terry, Heavyweight, Recycled
Denim Jacket        | 680-1050  | 70-150  | Selvedge, Stretch, Washed, Sherpa-Lined
Chino Pant          | 380-620   | 40-85   | Stretch Twill, Organic Cotton, Slim, Relaxed
Flannel Shirt       | 300-460   | 35-75   | Brushed, Heavyweight, Organic, Plaid
Rain Jacket         | 300-620   | 80-190  | Waterproof, Packable, 3-Layer, Recycled
Polo Shirt          | 190-300   | 25-60   | Pique, Performance, Jersey, Linen Blend
"""
_FOOTWEAR = """
Hiking Boot         | 900-1500  | 99-229  | Waterproof, Leather, Insulated, Lightweight
Running Shoe        | 480-800   | 79-169  | Cushioned, Lightweight, Stability, Knit
Sneaker             | 600-950   | 59-129  | Canvas, Leather, Knit, Recycled
Loafer              | 560-900   | 79-169  | Leather, Suede, Penny, Driving
Sandal              | 280-520   | 29-79   | Cork, Sport, Leather, Recycled
Chelsea Boot        | 900-1300  | 119-239 | Suede, Leather, Waterproof, Shearling-Lined
Slipper             | 240-420   | 25-69   | Shearling, Wool, Moccasin, Memory Foam
Trail Runner        | 540-860   | 89-169  | Grippy, Waterproof, Cushioned, Lightweight
"""
_HOME = """
Throw Blanket       | 900-1800  | 39-129  | Wool, Cotton Knit, Sherpa, Waffle
Bath Towel          | 450-800   | 19-45   | Turkish Cotton, Waffle Weave, Organic Cotton, Linen
Duvet Cover         | 1200-2100 | 79-219  | Linen, Percale, Sateen, Organic Cotton
Dinner Plate Set    | 2800-5200 | 39-109  | Stoneware, Porcelain, Speckled Ceramic, Enamel
Table Lamp          | 1800-3600 | 49-169  | Ceramic, Brass, Walnut, Rattan
Scented Candle      | 280-650   | 18-45   | Soy Wax, Beeswax, Coconut Wax, Three-Wick
Throw Pillow        | 450-950   | 25-65   | Linen, Velvet, Boucle, Embroidered
Skillet             | 1100-3300 | 29-139  | Cast Iron, Stainless Steel, Carbon Steel, Nonstick
"""
_ELECTRONICS = """
Wireless Earbuds    | 45-120    | 49-249  | Noise-Cancelling, Sport, Compact, Open-Ear
Bluetooth Speaker   | 380-1600  | 39-229  | Waterproof, Portable, Smart, Outdoor
Smartwatch          | 35-90     | 129-449 | Fitness, GPS, Solar, Titanium
Phone Charger       | 70-260    | 19-59   | USB-C Fast, Wireless, Dual-Port, Travel
Over-Ear Headphones | 230-420   | 79-379  | Noise-Cancelling, Studio, Wireless, Foldable
Power Bank          | 180-460   | 29-89   | 20000mAh, Slim, Solar, MagSafe
Action Camera       | 120-210   | 199-499 | 4K, Waterproof, Stabilized, 360
Smart Plug          | 70-160    | 15-39   | Wi-Fi, Energy-Monitoring, Outdoor, Mini
"""
_OUTDOOR = """
Tent                | 1100-4600 | 149-499 | 2-Person, 4-Person, Ultralight, Freestanding
Sleeping Bag        | 850-1900  | 79-329  | Down, Synthetic, 20-Degree, Mummy
Daypack             | 280-1150  | 39-159  | 25L, 30L, Hydration, Packable
Trekking Poles      | 380-620   | 49-169  | Carbon, Aluminum, Folding, Cork-Grip
Camp Stove          | 300-5200  | 39-159  | Backpacking, Two-Burner, Canister, Wood-Burning
Headlamp            | 60-130    | 24-69   | Rechargeable, 400-Lumen, Waterproof, Red-Light
Water Bottle        | 180-520   | 19-49   | Insulated, Stainless, Filtering, Collapsible
Camp Chair          | 850-4200  | 39-139  | Folding, Ultralight, Rocking, High-Back
"""
_BEAUTY = """
Moisturizer         | 70-260    | 12-58   | Hydrating, SPF 30, Night Repair, Oil-Free
Shampoo             | 280-560   | 9-34    | Clarifying, Volumizing, Argan Oil, Sulfate-Free
Lip Balm            | 8-25      | 4-16    | Tinted, SPF 15, Shea Butter, Overnight
Face Serum          | 45-130    | 18-89   | Vitamin C, Hyaluronic, Retinol, Niacinamide
Body Wash           | 380-620   | 8-26    | Eucalyptus, Citrus, Unscented, Oat
Eau de Parfum       | 180-420   | 45-159  | Amber, Cedar, Neroli, Vetiver
Sunscreen           | 90-260    | 10-36   | SPF 50 Mineral, SPF 30 Sport, Tinted SPF 40, Reef-Safe
Hair Dryer          | 450-950   | 39-229  | Ionic, Travel, Diffuser, Ceramic
"""

CATEGORIES: tuple[Category, ...] = (
    Category(
        "Apparel",
        "APL",
        0.24,
        1.0,
        (
            "Everyday",
            "Heritage",
            "Coastline",
            "Northfield",
            "Urban",
            "Alpine",
            "Harbor",
            "Meridian",
            "Canyon",
            "Prairie",
            "Driftwood",
            "Evergreen",
        ),
        ("Navy", "Charcoal", "Heather Grey", "Olive", "Rust", "Black", "Oatmeal", "Forest Green"),
        _kinds(_APPAREL),
    ),
    Category(
        "Footwear",
        "FTW",
        0.15,
        0.6,
        (
            "Trailblazer",
            "Summit",
            "Metro",
            "Coastal",
            "Ridgeline",
            "Pacer",
            "Stride",
            "Boulder",
            "Cascade",
            "Granite",
            "Sierra",
            "Tempo",
        ),
        ("Black", "Slate", "Tan", "Espresso", "White", "Sand", "Olive", "Navy"),
        _kinds(_FOOTWEAR),
    ),
    Category(
        "Home",
        "HOM",
        0.2,
        0.5,
        (
            "Hearth",
            "Willow",
            "Nordic",
            "Juniper",
            "Lakehouse",
            "Cedar",
            "Atelier",
            "Linden",
            "Cottage",
            "Haven",
            "Terra",
            "Marlow",
        ),
        ("Natural", "Ivory", "Sage", "Terracotta", "Charcoal", "Indigo", "Blush", "Walnut"),
        _kinds(_HOME),
    ),
    Category(
        "Electronics",
        "ELC",
        0.12,
        0.35,
        (
            "Pulse",
            "Vertex",
            "Nimbus",
            "Aero",
            "Lumen",
            "Orbit",
            "Echo",
            "Volt",
            "Nova",
            "Quanta",
            "Zenith",
            "Flux",
        ),
        ("Black", "White", "Graphite", "Sand", "Midnight Blue", "Silver"),
        _kinds(_ELECTRONICS),
    ),
    Category(
        "Outdoor",
        "OUT",
        0.14,
        0.4,
        (
            "Basecamp",
            "Switchback",
            "Timberline",
            "Wayfarer",
            "Backcountry",
            "Highland",
            "Glacier",
            "Redwood",
            "Mesa",
            "Tundra",
            "Cairn",
            "Horizon",
        ),
        ("Moss", "Glacier Blue", "Ember", "Stone", "Black", "Desert Tan"),
        _kinds(_OUTDOOR),
    ),
    Category(
        "Beauty",
        "BTY",
        0.15,
        1.6,
        (
            "Bloom",
            "Pure",
            "Solstice",
            "Verde",
            "Lumiere",
            "Botanica",
            "Dew",
            "Halo",
            "Aura",
            "Petal",
            "Clay",
            "Sable",
        ),
        ("Travel Size", "Full Size", "Refill", "Value Size"),
        _kinds(_BEAUTY),
    ),
)


def ean13_check_digit(first_twelve: str) -> int:
    """GS1 mod-10: from the left, digits weigh 1, 3, 1, 3, ...; the check tops the sum to ten."""
    if len(first_twelve) != 12 or not first_twelve.isdigit():
        raise ValueError(f"need 12 digits, got {first_twelve!r}")
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(first_twelve))
    return (10 - total % 10) % 10


def ean13(item_number: int) -> str:
    """A valid EAN-13 for the ``item_number``-th product (from 1): prefix, reference, check."""
    prefix, reference = divmod(item_number, ITEMS_PER_PREFIX)
    body = f"0{GS1_COMPANY_PREFIX + prefix:06d}{reference:05d}"
    return body + str(ean13_check_digit(body))


def shelf_price_minor(rng: random.Random, dollars: tuple[int, int]) -> int:
    """A price in cents the way shops write them: mostly $x.99, sometimes a round $x.00."""
    whole = rng.randint(*dollars)
    return whole * 100 - 1 if rng.random() < 0.75 else whole * 100


def _category_order(rng: random.Random, count: int) -> list[Category]:
    """Every category at least once (when there is room), the rest by catalogue share."""
    chosen = list(CATEGORIES[: min(count, len(CATEGORIES))])
    weights = [category.share for category in CATEGORIES]
    chosen += rng.choices(CATEGORIES, weights=weights, k=count - len(chosen))
    rng.shuffle(chosen)
    return chosen


def generate_products(rng: random.Random, count: int, currency: str = "USD") -> list[ProductRow]:
    """``count`` products with ids 1..count; the SKU number is the id, so codes never collide."""
    products: list[ProductRow] = []
    for product_id, category in enumerate(_category_order(rng, count), start=1):
        kind = rng.choice(category.kinds)
        name = (
            f"{rng.choice(category.lines)} {rng.choice(kind.features)} {kind.noun}, "
            f"{rng.choice(category.variants)}"
        )
        # Weights are weighed to the nearest 5 g on a warehouse scale.
        grams = max(5, round(rng.randint(*kind.grams) / 5) * 5)
        products.append(
            ProductRow(
                id=product_id,
                sku=f"{category.prefix}-{product_id:05d}",
                name=name,
                category=category.name,
                barcode=ean13(product_id),
                weight_grams=grams,
                price_minor=shelf_price_minor(rng, kind.dollars),
                currency=currency,
            )
        )
    return products


def depth_of(category_name: str) -> float:
    for category in CATEGORIES:
        if category.name == category_name:
            return category.depth
    raise KeyError(category_name)
