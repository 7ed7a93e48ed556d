"""Real US cities for the demo network, and suburbs generated around them.

Coordinates are the city centres (to about 0.01 degree), time zones are the IANA zones that
govern each city (Indianapolis keeps its own Indiana zone, El Paso is on Mountain time),
and each postal code is a real ZIP code in the city's downtown. ``metro_k`` is the
population of the metropolitan area the city belongs to, in thousands: it weights where
stores open and decides which stores are in metros big enough for same-day delivery.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# Kilometres per degree of latitude (and of longitude at the equator).
KM_PER_DEGREE = 111.32
# Same-day couriers pay off only in metros at least this large (thousands of people).
BIG_METRO_K = 2_500

COMPASS: tuple[tuple[str, str, int], ...] = (
    ("N", "North", 0),
    ("NE", "Northeast", 45),
    ("E", "East", 90),
    ("SE", "Southeast", 135),
    ("S", "South", 180),
    ("SW", "Southwest", 225),
    ("W", "West", 270),
    ("NW", "Northwest", 315),
)


@dataclass(frozen=True, slots=True)
class City:
    name: str
    state: str
    latitude: float
    longitude: float
    timezone: str
    postal_code: str
    metro_k: int
    # Compass directions where a suburb a few kilometres out would land in water or abroad.
    water: frozenset[str] = frozenset()

    @property
    def is_big_metro(self) -> bool:
        return self.metro_k >= BIG_METRO_K

    @property
    def is_continental(self) -> bool:
        return self.state not in ("AK", "HI")


def _city(
    name: str,
    state: str,
    lat: float,
    lon: float,
    tz: str,
    zip_code: str,
    metro_k: int,
    water: str = "",
) -> City:
    return City(name, state, lat, lon, tz, zip_code, metro_k, frozenset(water.split()))


_ET = "America/New_York"
_CT = "America/Chicago"
_MT = "America/Denver"
_PT = "America/Los_Angeles"

CITIES: tuple[City, ...] = (
    _city("New York", "NY", 40.7128, -74.0060, _ET, "10001", 19_500, "S SE"),
    _city("Los Angeles", "CA", 34.0522, -118.2437, _PT, "90012", 12_800, "SW"),
    _city("Chicago", "IL", 41.8781, -87.6298, _CT, "60601", 9_400, "NE E SE"),
    _city("Dallas", "TX", 32.7767, -96.7970, _CT, "75201", 8_100),
    _city("Houston", "TX", 29.7604, -95.3698, _CT, "77002", 7_500),
    _city("Washington", "DC", 38.9072, -77.0369, _ET, "20001", 6_300),
    _city("Atlanta", "GA", 33.7490, -84.3880, _ET, "30303", 6_300),
    _city("Philadelphia", "PA", 39.9526, -75.1652, _ET, "19103", 6_200),
    _city("Miami", "FL", 25.7617, -80.1918, _ET, "33130", 6_100, "NE E SE"),
    _city("Phoenix", "AZ", 33.4484, -112.0740, "America/Phoenix", "85004", 5_000),
    _city("Boston", "MA", 42.3601, -71.0589, _ET, "02108", 4_900, "NE E SE"),
    _city("Riverside", "CA", 33.9806, -117.3755, _PT, "92501", 4_700),
    _city("San Francisco", "CA", 37.7749, -122.4194, _PT, "94103", 4_600, "N NE E SW W NW"),
    _city("Oakland", "CA", 37.8044, -122.2712, _PT, "94612", 4_600, "W NW SW"),
    _city("Detroit", "MI", 42.3314, -83.0458, "America/Detroit", "48226", 4_300, "E SE S"),
    _city("Seattle", "WA", 47.6062, -122.3321, _PT, "98101", 4_000, "W NW SW"),
    _city("Tacoma", "WA", 47.2529, -122.4443, _PT, "98402", 4_000, "N NW"),
    _city("Minneapolis", "MN", 44.9778, -93.2650, _CT, "55401", 3_700),
    _city("San Diego", "CA", 32.7157, -117.1611, _PT, "92101", 3_300, "SW W NW"),
    _city("Tampa", "FL", 27.9506, -82.4572, _ET, "33602", 3_300, "S SW W"),
    _city("Denver", "CO", 39.7392, -104.9903, _MT, "80202", 3_000),
    _city("Baltimore", "MD", 39.2904, -76.6122, _ET, "21202", 2_800, "SE"),
    _city("St. Louis", "MO", 38.6270, -90.1994, _CT, "63101", 2_800),
    _city("Orlando", "FL", 28.5383, -81.3792, _ET, "32801", 2_800),
    _city("Charlotte", "NC", 35.2271, -80.8431, _ET, "28202", 2_800),
    _city("San Antonio", "TX", 29.4241, -98.4936, _CT, "78205", 2_700),
    _city("Portland", "OR", 45.5152, -122.6784, _PT, "97204", 2_500),
    _city("Sacramento", "CA", 38.5816, -121.4944, _PT, "95814", 2_400),
    _city("Pittsburgh", "PA", 40.4406, -79.9959, _ET, "15222", 2_400),
    _city("Austin", "TX", 30.2672, -97.7431, _CT, "78701", 2_400),
    _city("Las Vegas", "NV", 36.1699, -115.1398, _PT, "89101", 2_300),
    _city("Cincinnati", "OH", 39.1031, -84.5120, _ET, "45202", 2_300),
    _city("Kansas City", "MO", 39.0997, -94.5786, _CT, "64105", 2_200),
    _city("Columbus", "OH", 39.9612, -82.9988, _ET, "43215", 2_200),
    _city("Indianapolis", "IN", 39.7684, -86.1581, "America/Indiana/Indianapolis", "46204", 2_100),
    _city("Cleveland", "OH", 41.4993, -81.6944, _ET, "44113", 2_100, "N NE NW"),
    _city("San Jose", "CA", 37.3382, -121.8863, _PT, "95113", 2_000),
    _city("Nashville", "TN", 36.1627, -86.7816, _CT, "37203", 2_000),
    _city("Virginia Beach", "VA", 36.8529, -75.9780, _ET, "23451", 1_800, "N NE E SE"),
    _city("Norfolk", "VA", 36.8508, -76.2859, _ET, "23510", 1_800, "N"),
    _city("Jacksonville", "FL", 30.3322, -81.6557, _ET, "32202", 1_700),
    _city("Providence", "RI", 41.8240, -71.4128, _ET, "02903", 1_700, "S"),
    _city("Milwaukee", "WI", 43.0389, -87.9065, _CT, "53202", 1_600, "NE E SE"),
    _city("Raleigh", "NC", 35.7796, -78.6382, _ET, "27601", 1_500),
    _city("Oklahoma City", "OK", 35.4676, -97.5164, _CT, "73102", 1_400),
    _city("Memphis", "TN", 35.1495, -90.0490, _CT, "38103", 1_300, "W"),
    _city("Richmond", "VA", 37.5407, -77.4360, _ET, "23219", 1_300),
    _city("Louisville", "KY", 38.2527, -85.7585, "America/Kentucky/Louisville", "40202", 1_300),
    _city("New Orleans", "LA", 29.9511, -90.0715, _CT, "70112", 1_300, "N NE"),
    _city("Salt Lake City", "UT", 40.7608, -111.8910, _MT, "84101", 1_300, "NW"),
    _city("Hartford", "CT", 41.7658, -72.6734, _ET, "06103", 1_200),
    _city("Buffalo", "NY", 42.8864, -78.8784, _ET, "14202", 1_200, "W SW NW"),
    _city("Birmingham", "AL", 33.5186, -86.8104, _CT, "35203", 1_100),
    _city("Rochester", "NY", 43.1566, -77.6088, _ET, "14604", 1_100, "N"),
    _city("Grand Rapids", "MI", 42.9634, -85.6681, "America/Detroit", "49503", 1_100),
    _city("Tucson", "AZ", 32.2226, -110.9747, "America/Phoenix", "85701", 1_000),
    _city("Honolulu", "HI", 21.3069, -157.8583, "Pacific/Honolulu", "96813", 1_000, "SE S SW W"),
    _city("Tulsa", "OK", 36.1540, -95.9928, _CT, "74103", 1_000),
    _city("Fresno", "CA", 36.7378, -119.7871, _PT, "93721", 1_000),
    _city("Worcester", "MA", 42.2626, -71.8023, _ET, "01608", 980),
    _city("Omaha", "NE", 41.2565, -95.9345, _CT, "68102", 970),
    _city("Albuquerque", "NM", 35.0844, -106.6504, _MT, "87102", 920),
    _city("Bakersfield", "CA", 35.3733, -119.0187, _PT, "93301", 910),
    _city("Albany", "NY", 42.6526, -73.7562, _ET, "12207", 900),
    _city("Knoxville", "TN", 35.9606, -83.9207, _ET, "37902", 900),
    _city("El Paso", "TX", 31.7619, -106.4850, _MT, "79901", 870, "S SW SE"),
    _city("Baton Rouge", "LA", 30.4515, -91.1871, _CT, "70802", 870),
    _city("New Haven", "CT", 41.3083, -72.9279, _ET, "06510", 860, "S SE"),
    _city("Allentown", "PA", 40.6084, -75.4902, _ET, "18101", 860),
    _city("Columbia", "SC", 34.0007, -81.0348, _ET, "29201", 830),
    _city("Dayton", "OH", 39.7589, -84.1916, _ET, "45402", 810),
    _city("Charleston", "SC", 32.7765, -79.9311, _ET, "29401", 800, "E SE"),
    _city("Greensboro", "NC", 36.0726, -79.7920, _ET, "27401", 780),
    _city("Boise", "ID", 43.6150, -116.2023, "America/Boise", "83702", 780),
    _city("Colorado Springs", "CO", 38.8339, -104.8214, _MT, "80903", 760),
    _city("Little Rock", "AR", 34.7465, -92.2896, _CT, "72201", 750),
    _city("Des Moines", "IA", 41.5868, -93.6250, _CT, "50309", 720),
    _city("Wilmington", "DE", 39.7391, -75.5398, _ET, "19801", 720, "E SE"),
    _city("Provo", "UT", 40.2338, -111.6585, _MT, "84601", 700, "W"),
    _city("Akron", "OH", 41.0814, -81.5190, _ET, "44308", 700),
    _city("Madison", "WI", 43.0731, -89.4012, _CT, "53703", 680),
    _city("Syracuse", "NY", 43.0481, -76.1474, _ET, "13202", 660),
    _city("Wichita", "KS", 37.6872, -97.3301, _CT, "67202", 650),
    _city("Durham", "NC", 35.9940, -78.8986, _ET, "27701", 650),
    _city("Toledo", "OH", 41.6528, -83.5379, _ET, "43604", 640, "NE"),
    _city("Spokane", "WA", 47.6588, -117.4260, _PT, "99201", 600),
    _city("Jackson", "MS", 32.2988, -90.1848, _CT, "39201", 590),
    _city("Chattanooga", "TN", 35.0456, -85.3097, _ET, "37402", 570),
    _city("Portland", "ME", 43.6591, -70.2568, _ET, "04101", 560, "NE E SE"),
    _city("Lansing", "MI", 42.7325, -84.5555, "America/Detroit", "48933", 540),
    _city("Lexington", "KY", 38.0406, -84.5037, _ET, "40507", 520),
    _city("Pensacola", "FL", 30.4213, -87.2169, _CT, "32502", 510, "S SE SW"),
    _city("Reno", "NV", 39.5296, -119.8138, _PT, "89501", 500),
    _city("Huntsville", "AL", 34.7304, -86.5861, _CT, "35801", 500),
    _city("Springfield", "MO", 37.2090, -93.2923, _CT, "65806", 475),
    _city("Mobile", "AL", 30.6954, -88.0399, _CT, "36602", 430, "E SE"),
    _city("Corpus Christi", "TX", 27.8006, -97.3964, _CT, "78401", 420, "NE E SE"),
    _city("Fort Wayne", "IN", 41.0793, -85.1394, "America/Indiana/Indianapolis", "46802", 420),
    _city("Manchester", "NH", 42.9956, -71.4548, _ET, "03101", 420),
    _city("Savannah", "GA", 32.0809, -81.0912, _ET, "31401", 400, "E SE"),
    _city("Anchorage", "AK", 61.2181, -149.9003, "America/Anchorage", "99501", 400, "SW W NW N"),
    _city("Tallahassee", "FL", 30.4383, -84.2807, _ET, "32301", 390),
    _city("Eugene", "OR", 44.0521, -123.0868, _PT, "97401", 380),
    _city("Fort Collins", "CO", 40.5853, -105.0844, _MT, "80524", 360),
    _city("Boulder", "CO", 40.0150, -105.2705, _MT, "80302", 330),
    _city("Lubbock", "TX", 33.5779, -101.8552, _CT, "79401", 330),
    _city("Evansville", "IN", 37.9716, -87.5711, _CT, "47708", 310),
    _city("Sioux Falls", "SD", 43.5446, -96.7311, _CT, "57104", 290),
    _city("Amarillo", "TX", 35.2220, -101.8313, _CT, "79101", 270),
    _city("Fargo", "ND", 46.8772, -96.7898, _CT, "58102", 260),
    _city("Charleston", "WV", 38.3498, -81.6326, _ET, "25301", 250),
    _city("Burlington", "VT", 44.4759, -73.2121, _ET, "05401", 230, "W SW NW"),
    _city("Billings", "MT", 45.7833, -108.5007, _MT, "59101", 190),
    _city("Santa Fe", "NM", 35.6870, -105.9378, _MT, "87501", 150),
    _city("Rapid City", "SD", 44.0805, -103.2310, _MT, "57701", 150),
    _city("Cheyenne", "WY", 41.1400, -104.8202, _MT, "82001", 100),
)

# Where a retailer would put its distribution centres, in the order a growing network adds them:
# interstate crossroads within a day's drive of most of the population.
DC_HUBS: tuple[str, ...] = (
    "Columbus, OH",
    "Reno, NV",
    "Dallas, TX",
    "Allentown, PA",
    "Memphis, TN",
    "Riverside, CA",
    "Atlanta, GA",
    "Salt Lake City, UT",
    "Indianapolis, IN",
    "Louisville, KY",
    "Kansas City, MO",
    "Jacksonville, FL",
)


# Names several states share (Portland, Charleston): shown with the state to tell them apart.
_SHARED_NAMES = frozenset(
    name for name in {city.name for city in CITIES} if sum(c.name == name for c in CITIES) > 1
)


def display_name(city: City) -> str:
    """The city's name, with the state where the name alone is ambiguous: "Portland (ME)"."""
    return f"{city.name} ({city.state})" if city.name in _SHARED_NAMES else city.name


def city_named(label: str) -> City:
    """The city for a ``"Name, ST"`` label; several cities share a name across states."""
    name, state = (part.strip() for part in label.split(","))
    for city in CITIES:
        if city.name == name and city.state == state:
            return city
    raise KeyError(label)


@dataclass(frozen=True, slots=True)
class Site:
    """A point for one location: a city centre, or a suburb in one compass direction from it."""

    city: City
    latitude: float
    longitude: float
    direction: str | None = None

    @property
    def is_suburb(self) -> bool:
        return self.direction is not None


def centre(city: City) -> Site:
    return Site(city, city.latitude, city.longitude)


def suburb(city: City, rng: random.Random, min_km: float = 5.0, max_km: float = 25.0) -> Site:
    """A point ``min_km``-``max_km`` out from the centre, on land, in a compass direction."""
    choices = [entry for entry in COMPASS if entry[0] not in city.water]
    _, label, bearing = rng.choice(choices)
    km = rng.uniform(min_km, max_km)
    # Longitude degrees shrink with the cosine of the latitude; at these scales the flat
    # approximation is off by metres.
    north_km = km * math.cos(math.radians(bearing))
    east_km = km * math.sin(math.radians(bearing))
    latitude = city.latitude + north_km / KM_PER_DEGREE
    longitude = city.longitude + east_km / (KM_PER_DEGREE * math.cos(math.radians(city.latitude)))
    return Site(city, round(latitude, 5), round(longitude, 5), label)
