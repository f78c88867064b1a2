"""CarrierLookup through boto3 against a real server, and the offline data behind it."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from pigeon.service.carrier_lookup import lookup, mobile_networks
from tests.support.errors import error_of


def test_mobile_number_with_formatting_characters(client):
    found = client.carrier_lookup(PhoneNumber="+44 (7400) 123-456")
    found.pop("ResponseMetadata")
    assert found == {"E164PhoneNumber": "+447400123456", "DialingCountryCode": "44", "IsoCountryCode": "GB",
                     "Country": "United Kingdom", "PhoneNumberType": "MOBILE", "Carrier": "Three",
                     "MCC": "234", "MNC": "20"}


def test_north_american_number_is_mobile_with_the_country_mcc(client):
    found = client.carrier_lookup(PhoneNumber="+1 206.555.0100")
    assert (found["E164PhoneNumber"], found["IsoCountryCode"], found["DialingCountryCode"], found["Country"],
            found["PhoneNumberType"], found["MCC"]) == ("+12065550100", "US", "1", "United States", "MOBILE", "310")
    assert "MNC" not in found and "Carrier" not in found


def test_landline_and_toll_free(client):
    landline = client.carrier_lookup(PhoneNumber="+44 20 7946 0958")
    assert (landline["PhoneNumberType"], landline["IsoCountryCode"]) == ("LANDLINE", "GB")
    assert "MCC" not in landline and "MNC" not in landline
    toll_free = client.carrier_lookup(PhoneNumber="+1 (800) 234-5678")
    assert (toll_free["PhoneNumberType"], toll_free["Country"]) == ("OTHER", "United States")


def test_invalid_numbers(client):
    found = client.carrier_lookup(PhoneNumber="+1 (555) 555-5333")
    assert (found["E164PhoneNumber"], found["PhoneNumberType"], found["DialingCountryCode"]) == (
        "+15555555333", "INVALID", "1")
    unknown = client.carrier_lookup(PhoneNumber="+999 123")
    assert (unknown["E164PhoneNumber"], unknown["PhoneNumberType"]) == ("+999123", "INVALID")
    assert "IsoCountryCode" not in unknown


def test_malformed_input_is_a_validation_error(unchecked_client):
    with pytest.raises(ClientError) as excinfo:
        unchecked_client.carrier_lookup(PhoneNumber="hello")
    assert error_of(excinfo)["Code"] == "ValidationException"


@pytest.mark.parametrize("number,carrier,mcc,mnc", [
    ("+49 151 12345678", "T-Mobile", "262", "01"),
    ("+33 6 12 34 56 78", "SFR", "208", "10"),
    ("+81 90-1234-5678", "KDDI", "440", "50"),
])
def test_mcc_mnc_of_major_carriers(number, carrier, mcc, mnc):
    found = lookup(number)
    assert (found["Carrier"], found["MCC"], found["MNC"]) == (carrier, mcc, mnc)


def test_mobile_network_data_is_well_formed():
    data = mobile_networks()
    assert all(len(code) == 3 and code.isdigit() for code in data["mcc"].values())
    for iso, networks in data["networks"].items():
        assert iso in data["mcc"]
        for mcc, mnc in networks.values():
            assert len(mcc) == 3 and mcc.isdigit() and 2 <= len(mnc) <= 3 and mnc.isdigit()


def test_network_fields_for_event_records():
    from pigeon.service.carrier_lookup import network_of

    assert network_of("+447860019066") == {"mcc": "234", "mnc": "10", "carrierName": "O2"}
    assert network_of("+14254147755") == {"mcc": "310"}
    assert network_of("+1") == {} and network_of("not a number") == {}
