"""Prices from pigeon/data/pricing.yaml, with fallbacks, and the spend month."""

from __future__ import annotations

from pigeon.messaging import pricing
from pigeon.messaging.throughput import RateLimiter, mps_for


def test_us_ten_dlc_part_is_base_price_plus_carrier_fee() -> None:
    price = pricing.price_of("TEXT", "US", "TEN_DLC", "TRANSACTIONAL", 1)
    assert (price.price_micros, price.carrier_fee_micros) == (5810, 3020)
    assert price.total_price == 0.00581


def test_text_price_scales_with_parts() -> None:
    one = pricing.price_of("TEXT", "US", "TOLL_FREE", "PROMOTIONAL", 1)
    four = pricing.price_of("TEXT", "US", "TOLL_FREE", "PROMOTIONAL", 4)
    assert four.total_micros == 4 * one.total_micros
    assert one.carrier_fee_micros == 2500


def test_unknown_country_and_type_fall_back_to_defaults() -> None:
    price = pricing.price_of("TEXT", "ZZ", "SHARED", "TRANSACTIONAL", 2)
    assert price.price_micros == 2 * 50000


def test_media_and_voice_have_their_own_sections() -> None:
    assert pricing.unit_price("MEDIA", "US", "TOLL_FREE", "TRANSACTIONAL") == (20000, 5000)
    assert pricing.unit_price("VOICE", "US", "TOLL_FREE", "TRANSACTIONAL") == (13000, 0)


def test_spend_month_is_the_utc_calendar_month() -> None:
    assert pricing.month_of(1_767_225_599.0) == "2025-12"  # 2025-12-31T23:59:59Z
    assert pricing.month_of(1_767_225_600.0) == "2026-01"


def test_mps_comes_from_number_type_country_and_overrides() -> None:
    assert mps_for("TEN_DLC", "US", "+12065550100", {}) == 1
    assert mps_for("LONG_CODE", "CA", "+15145550100", {}) == 1
    assert mps_for("LONG_CODE", "GB", "+447700900100", {}) == 10
    assert mps_for("TOLL_FREE", "US", "+18445550100", {"TOLL_FREE": 7}) == 7
    assert mps_for("TOLL_FREE", "US", "+18445550100", {"+18445550100": 2, "TOLL_FREE": 7}) == 2


def test_rate_limiter_holds_an_identity_to_its_rate_after_a_burst() -> None:
    limiter = RateLimiter(burst_seconds=1.0)
    now = 1000.0
    sent = [limiter.acquire("+1", 1, 2.0, now) is None for _ in range(5)]
    assert sent == [True, True, True, False, False]  # 2 MPS: 1 s of burst = 3 starts (t, t+.5, t+1)
    retry_at = limiter.acquire("+1", 1, 2.0, now)
    assert retry_at == 1000.5
    assert limiter.acquire("+1", 1, 2.0, retry_at) is None
    assert limiter.acquire("+2", 1, 2.0, now) is None  # identities are independent
