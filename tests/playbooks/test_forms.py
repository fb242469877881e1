from __future__ import annotations

from playbooks.kinds import clean_answers
from playbooks.loader import shipped_playbooks

PLAYBOOK = {p.id: p for p in shipped_playbooks()}["quickstart-14d"]
ICP = PLAYBOOK.step("icp")
LISTING = PLAYBOOK.step("listing")
RULES = PLAYBOOK.step("rules")


class TestCleanAnswers:
    def test_valid_answers_are_normalised(self) -> None:
        answers, errors = clean_answers(
            ICP,
            {
                "industry": "Healthcare",
                "company_size": "1,200",
                "trigger": "A data-centre exit within a year",
                "website": "northwind.example/offer",
                "smuggled": "x",
            },
        )
        assert errors == {}
        assert answers == {
            "industry": "Healthcare",
            "company_size": 1200.0,
            "trigger": "A data-centre exit within a year",
            "website": "https://northwind.example/offer",
        }

    def test_each_bad_field_gets_its_own_message(self) -> None:
        _, errors = clean_answers(ICP, {"industry": "Space", "company_size": "lots", "trigger": "short"})
        assert errors == {
            "industry": "choose one of the listed options",
            "company_size": "must be a number",
            "trigger": "needs at least 20 characters (you wrote 5)",
        }

    def test_required_and_optional(self) -> None:
        _, errors = clean_answers(ICP, {})
        assert set(errors) == {"industry", "company_size", "trigger"}
        assert errors["industry"] == "is required"

    def test_multi_select_only_accepts_listed_options(self) -> None:
        answers, errors = clean_answers(
            LISTING, {"listing_url": "https://mp.example/l/1", "private_offers": ["Multi-year", "Custom EULA"]}
        )
        assert errors == {} and answers["private_offers"] == ["Multi-year", "Custom EULA"]
        _, errors = clean_answers(LISTING, {"listing_url": "ftp://x", "private_offers": ["Free beer"]})
        assert errors["private_offers"].startswith("choose from the listed options")
        assert errors["listing_url"].startswith("must be a web address")

    def test_steps_without_fields_need_an_explicit_confirmation(self) -> None:
        assert clean_answers(RULES, {})[1] == {"acknowledged": "please tick the box to confirm"}
        assert clean_answers(RULES, {"acknowledged": "yes"}) == ({"acknowledged": True}, {})
