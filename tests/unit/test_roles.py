import pytest

from domain.roles import Permission, PermissionDenied, Role, can, parse_role, require


def test_reviewer_reads_contacts_and_reviews_enrichment_only():
    assert can(Role.REVIEWER, Permission.CONTACTS_READ)
    assert can(Role.REVIEWER, Permission.ENRICHMENT_REVIEW)
    assert not can(Role.REVIEWER, Permission.CAMPAIGNS)
    assert not can(Role.REVIEWER, Permission.CONTACTS_WRITE)


def test_marketer_has_everything_but_admin():
    assert all(can(Role.MARKETER, p) for p in Permission if p is not Permission.ADMIN)
    assert not can(Role.MARKETER, Permission.ADMIN)


def test_admin_has_everything():
    assert all(can("admin", p) for p in Permission)


def test_refusal_says_which_permission_is_missing():
    with pytest.raises(PermissionDenied, match="campaigns"):
        require("reviewer", Permission.CAMPAIGNS, "launch a campaign")


def test_unknown_role_is_refused_not_crashing():
    assert not can("owner", Permission.CONTACTS_READ)
    with pytest.raises(ValueError, match="unknown role 'owner'"):
        parse_role("owner")


def test_a_role_is_read_whatever_its_case_and_spaces():
    assert [parse_role(text) for text in ("admin", " Marketer ", "REVIEWER\n")] == [
        Role.ADMIN, Role.MARKETER, Role.REVIEWER]
    with pytest.raises(ValueError) as refused:
        parse_role("owner")
    assert str(refused.value) == "unknown role 'owner': use one of admin, marketer, reviewer"


def test_the_refusal_names_the_role_the_action_and_the_permission_in_words():
    with pytest.raises(PermissionDenied) as with_action:
        require("reviewer", Permission.CAMPAIGNS, "launch a campaign")
    assert str(with_action.value) == ("your role (reviewer) does not allow to launch a campaign: it needs the "
                                      "'campaigns' permission")
    with pytest.raises(PermissionDenied) as without:
        require(Role.MARKETER, Permission.ADMIN)
    assert str(without.value) == "your role (marketer) does not allow: it needs the 'admin' permission"
    assert require("admin", Permission.ADMIN, "manage users") is None
