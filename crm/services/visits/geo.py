"""Coordinates: reading them as typed, the great-circle distance, and China's map datums.

A phone's geolocation gives WGS-84. Maps published in China do not: 高德 and 腾讯 use GCJ-02, 百度 uses
BD-09, both shifted by a few hundred metres from WGS-84. A firm's location read off one of those maps
is converted to WGS-84 before it is stored, or every check-in would look a few hundred metres away.
The GCJ-02 formulas are the published forward transform; the reverse is solved by iteration (better
than 0.1 m within China).
"""

import math
from typing import Any, Optional

from crm.services import ServiceError
from crm.services.common.creditcode import normalize_text

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
DATUMS = {
    "wgs84": "WGS-84（手机定位、GPS）",
    "gcj02": "GCJ-02（高德、腾讯地图）",
    "bd09": "BD-09（百度地图）",
}
# Mainland China with a margin: a point outside is almost always latitude and longitude swapped.
CHINA_LAT = (3.0, 54.0)
CHINA_LNG = (73.0, 136.0)
COORD_MAX_CHARS = 30

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as GCJ-02 uses
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def parse_number(value: Any, label: str, low: float, high: float, required: bool = True) -> Optional[float]:
    """A finite number within [low, high] from a form string (full-width digits folded); ServiceError else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ServiceError(f"请填写{label}")
        return None
    if isinstance(value, bool):
        raise ServiceError(f"{label}应为数字")
    text = normalize_text(value).replace(" ", "") if isinstance(value, str) else str(value)
    if len(text) > COORD_MAX_CHARS:
        raise ServiceError(f"{label}应为数字")
    try:
        number = float(text)
    except ValueError:
        raise ServiceError(f"{label}应为数字") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ServiceError(f"{label}应在{low:g}到{high:g}之间")
    return number


def in_china(lat: float, lng: float) -> bool:
    return CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LNG[0] <= lng <= CHINA_LNG[1]


def _shift(lat: float, lng: float) -> tuple[float, float]:
    """GCJ-02 minus WGS-84 at a WGS-84 point, in degrees."""
    x, y = lng - 105.0, lat - 35.0
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x)) + common
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x)) + common
    dlng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = math.radians(lat)
    magic = 1 - _EE * math.sin(rad) ** 2
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * math.sqrt(magic)) * math.pi)
    dlng = (dlng * 180.0) / (_A / math.sqrt(magic) * math.cos(rad) * math.pi)
    return dlat, dlng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 (the shift applies inside China only)."""
    if not in_china(lat, lng):
        return lat, lng
    dlat, dlng = _shift(lat, lng)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84 by fixed-point iteration on the forward transform."""
    if not in_china(lat, lng):
        return lat, lng
    wlat, wlng = lat, lng
    for _ in range(20):
        glat, glng = wgs84_to_gcj02(wlat, wlng)
        dlat, dlng = glat - lat, glng - lng
        wlat, wlng = wlat - dlat, wlng - dlng
        if abs(dlat) < 1e-9 and abs(dlng) < 1e-9:
            break
    return wlat, wlng


def bd09_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """BD-09 → GCJ-02 (Baidu's published inverse) → WGS-84."""
    x, y = lng - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return gcj02_to_wgs84(z * math.sin(theta), z * math.cos(theta))


def to_wgs84(lat: float, lng: float, datum: str) -> tuple[float, float]:
    """Coordinates in the named datum (DATUMS) as WGS-84."""
    if datum == "gcj02":
        return gcj02_to_wgs84(lat, lng)
    if datum == "bd09":
        return bd09_to_wgs84(lat, lng)
    return lat, lng


def parse_point(lat_value: Any, lng_value: Any) -> tuple[float, float]:
    """A point in mainland China from typed latitude and longitude; swapped or foreign points refused."""
    # Both read on the longitude's range first, so that a swapped pair is named as such.
    lat = parse_number(lat_value, "纬度", -180, 180)
    lng = parse_number(lng_value, "经度", -180, 180)
    assert lat is not None and lng is not None  # required
    if not in_china(lat, lng):
        if in_china(lng, lat):
            raise ServiceError("纬度和经度似乎填反了：纬度约为 18～53，经度约为 73～135")
        if abs(lat) > 90:
            raise ServiceError("纬度应在-90到90之间")
        raise ServiceError("坐标不在中国境内，请检查纬度和经度")
    return lat, lng


def format_distance(metres: float) -> str:
    """1234.5 -> '约1.2公里'; 87 -> '约87米'."""
    if metres >= 1000:
        return f"约{metres / 1000:.1f}公里"
    return f"约{round(metres)}米"
