"""A partner's country (whose public holidays move due dates) from the cohort payload."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.cohorts.schemas import PartnerIn

CONTACT = [{"email": "alliances@berliner.example", "name": "Alliances"}]


def partner_in(**extra: str) -> PartnerIn:
    return PartnerIn.model_validate({"name": "Berliner", "type": "ISV", "contacts": CONTACT, **extra})


class TestPartnerCountry:
    def test_an_explicit_country_is_normalized(self) -> None:
        assert partner_in(country=" de ").holiday_country == "DE"

    def test_a_region_that_is_a_country_code_stands_in(self) -> None:
        assert partner_in(region="us").holiday_country == "US"
        assert partner_in(region="DE", country="AT").holiday_country == "AT"

    def test_a_region_that_is_not_a_country_means_no_holidays(self) -> None:
        assert partner_in(region="EMEA").holiday_country is None
        assert partner_in().holiday_country is None

    def test_an_unknown_country_is_refused_with_its_field(self) -> None:
        with pytest.raises(ValidationError) as err:
            partner_in(country="Atlantis")
        [error] = err.value.errors()
        assert error["loc"] == ("country",) and "ISO 3166-1 alpha-2" in error["msg"]
